targetScope = 'resourceGroup'

param principalId string

resource target_kv_payments 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: 'kv-payments'
}

resource target_sb_payments_events 'Microsoft.ServiceBus/namespaces@2021-11-01' existing = {
  name: 'sb-payments-events'
}

resource assignment_Key_Vault_Secrets_User 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(target_kv_payments.id, principalId, subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6'))
  scope: target_kv_payments
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6')
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource assignment_Azure_Service_Bus_Data_Receiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(target_sb_payments_events.id, principalId, subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'))
  scope: target_sb_payments_events
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0')
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
