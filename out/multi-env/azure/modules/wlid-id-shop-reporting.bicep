targetScope = 'resourceGroup'

param location string
param issuer string

resource identity_shop_reporting 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: 'shop-reporting'
  location: location
  properties: {}
}

resource fic_1 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2024-11-30' = {
  parent: identity_shop_reporting
  name: 'shop-shop-reporting'
  properties: {
    issuer: issuer
    subject: 'system:serviceaccount:shop:shop-reporting'
    audiences: [
      'api://AzureADTokenExchange'
    ]
  }
}

module roles_1 'wlid-roles-shop-reporting-6121a82c.bicep' = {
  name: 'wlid-roles-shop-reporting-6121a82c'
  scope: resourceGroup()
  params: {
    principalId: identity_shop_reporting.properties.principalId
  }
}

output clientId string = identity_shop_reporting.properties.clientId
output principalId string = identity_shop_reporting.properties.principalId
output tenantId string = identity_shop_reporting.properties.tenantId
