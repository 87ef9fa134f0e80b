targetScope = 'resourceGroup'

param location string
param issuer string

resource identity_myIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: 'myIdentity'
  location: location
  properties: {}
}

resource fic_1 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2024-11-30' = {
  parent: identity_myIdentity
  name: 'myFedIdentity'
  properties: {
    issuer: issuer
    subject: 'system:serviceaccount:default:workload-identity-sa'
    audiences: [
      'api://AzureADTokenExchange'
    ]
  }
}

module roles_1 'wlid-roles-myIdentity-f2a44b68.bicep' = {
  name: 'wlid-roles-myIdentity-f2a44b68'
  scope: resourceGroup()
  params: {
    principalId: identity_myIdentity.properties.principalId
  }
}

output clientId string = identity_myIdentity.properties.clientId
output principalId string = identity_myIdentity.properties.principalId
output tenantId string = identity_myIdentity.properties.tenantId
