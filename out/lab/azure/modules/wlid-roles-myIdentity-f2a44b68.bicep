targetScope = 'resourceGroup'

param principalId string

resource target_kv_wlid_lab 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: 'kv-wlid-lab'
}

resource assignment_Key_Vault_Secrets_User 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(target_kv_wlid_lab.id, principalId, subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6'))
  scope: target_kv_wlid_lab
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6')
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
