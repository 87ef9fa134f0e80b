targetScope = 'resourceGroup'

param principalId string

resource target_kv_wlid_shared 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: 'kv-wlid-shared'
}

resource assignment_Key_Vault_Reader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(target_kv_wlid_shared.id, principalId, subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '21090545-7ca7-4776-b22c-e363652d74d2'))
  scope: target_kv_wlid_shared
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '21090545-7ca7-4776-b22c-e363652d74d2')
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'Key Vault objects mounted by workload edge-proxy (grant: auto)'
  }
}
