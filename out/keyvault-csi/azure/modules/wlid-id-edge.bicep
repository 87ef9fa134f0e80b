targetScope = 'resourceGroup'

param location string
param issuer string

resource identity_edge 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: 'edge'
  location: location
  properties: {}
}

resource fic_1 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2024-11-30' = {
  parent: identity_edge
  name: 'apps-edge-proxy'
  properties: {
    issuer: issuer
    subject: 'system:serviceaccount:apps:edge-proxy'
    audiences: [
      'api://AzureADTokenExchange'
    ]
  }
}

module roles_1 'wlid-roles-edge-770fb51f.bicep' = {
  name: 'wlid-roles-edge-770fb51f'
  scope: resourceGroup('rg-wlid-shared')
  params: {
    principalId: identity_edge.properties.principalId
  }
}

output clientId string = identity_edge.properties.clientId
output principalId string = identity_edge.properties.principalId
output tenantId string = identity_edge.properties.tenantId
