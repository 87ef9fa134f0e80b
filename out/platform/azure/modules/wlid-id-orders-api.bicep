targetScope = 'resourceGroup'

param location string
param issuer string
param tag_environment string

resource identity_orders_api 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: 'orders-api'
  location: location
  tags: {
    costCenter: '4711'
    environment: tag_environment
    owner: 'team-orders'
  }
  properties: {}
}

resource fic_1 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2024-11-30' = {
  parent: identity_orders_api
  name: 'orders-orders-api'
  properties: {
    issuer: issuer
    subject: 'system:serviceaccount:orders:orders-api'
    audiences: [
      'api://AzureADTokenExchange'
    ]
  }
}

resource fic_2 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2024-11-30' = {
  parent: identity_orders_api
  name: 'orders-orders-worker'
  properties: {
    issuer: issuer
    subject: 'system:serviceaccount:orders:orders-worker'
    audiences: [
      'api://AzureADTokenExchange'
    ]
  }
  dependsOn: [
    fic_1
  ]
}

module roles_1 'wlid-roles-orders-api-fa3592eb.bicep' = {
  name: 'wlid-roles-orders-api-fa3592eb'
  scope: resourceGroup()
  params: {
    principalId: identity_orders_api.properties.principalId
  }
}

module roles_2 'wlid-roles-orders-api-c0393637.bicep' = {
  name: 'wlid-roles-orders-api-c0393637'
  scope: resourceGroup('rg-platform-data')
  params: {
    principalId: identity_orders_api.properties.principalId
  }
}

output clientId string = identity_orders_api.properties.clientId
output principalId string = identity_orders_api.properties.principalId
output tenantId string = identity_orders_api.properties.tenantId
