targetScope = 'resourceGroup'

param location string
param issuer string
param tag_environment string

resource identity_reporting 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: 'reporting'
  location: location
  tags: {
    costCenter: '4711'
    environment: tag_environment
  }
  properties: {}
}

resource fic_1 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2024-11-30' = {
  parent: identity_reporting
  name: 'reporting-aks'
  properties: {
    issuer: issuer
    subject: 'system:serviceaccount:reporting:reporting'
    audiences: [
      'api://AzureADTokenExchange'
    ]
  }
}

module roles_1 'wlid-roles-reporting-d98ee1e8.bicep' = {
  name: 'wlid-roles-reporting-d98ee1e8'
  scope: resourceGroup('33333333-3333-3333-3333-333333333333', 'rg-reports')
  params: {
    principalId: identity_reporting.properties.principalId
  }
}

module roles_2 'wlid-roles-reporting-bbec5ce5.bicep' = {
  name: 'wlid-roles-reporting-bbec5ce5-${uniqueString(resourceGroup().id)}'
  scope: subscription()
  params: {
    principalId: identity_reporting.properties.principalId
  }
}

output clientId string = identity_reporting.properties.clientId
output principalId string = identity_reporting.properties.principalId
output tenantId string = identity_reporting.properties.tenantId
