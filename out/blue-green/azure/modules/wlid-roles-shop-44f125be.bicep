targetScope = 'resourceGroup'

param principalId string
param shop_role1_name string

resource target_shop_role1_name 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: shop_role1_name
}

resource assignment_Key_Vault_Secrets_User 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(target_shop_role1_name.id, principalId, subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6'))
  scope: target_shop_role1_name
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6')
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
