targetScope = 'resourceGroup'

param principalId string

resource target_kv_platform_orders 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: 'kv-platform-orders'
}

resource assignment_Key_Vault_Secrets_User 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(target_kv_platform_orders.id, principalId, subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6'))
  scope: target_kv_platform_orders
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6')
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
