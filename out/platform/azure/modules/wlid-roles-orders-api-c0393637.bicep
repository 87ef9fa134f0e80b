targetScope = 'resourceGroup'

param principalId string

resource target_stplatformorders 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: 'stplatformorders'
}

resource target_sb_platform_orders 'Microsoft.ServiceBus/namespaces@2021-11-01' existing = {
  name: 'sb-platform-orders'
}

resource assignment_Storage_Blob_Data_Contributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(target_stplatformorders.id, principalId, subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'))
  scope: target_stplatformorders
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'ba92f5b4-2d11-453d-a403-e96b0029c9fe')
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource assignment_Azure_Service_Bus_Data_Sender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(target_sb_platform_orders.id, principalId, subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'))
  scope: target_sb_platform_orders
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39')
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
