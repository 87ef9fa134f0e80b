targetScope = 'resourceGroup'

param principalId string
param shop_audit_role1_name string

resource target_shop_audit_role1_name 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: shop_audit_role1_name
}

resource assignment_Storage_Blob_Data_Reader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(target_shop_audit_role1_name.id, principalId, subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'))
  scope: target_shop_audit_role1_name
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1')
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
