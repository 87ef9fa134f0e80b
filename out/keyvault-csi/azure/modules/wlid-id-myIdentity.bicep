targetScope = 'resourceGroup'

param location string
param issuer string
param myIdentity_role1_name string

resource identity_myIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: 'myIdentity'
  location: location
  properties: {}
}

resource fic_1 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2024-11-30' = {
  parent: identity_myIdentity
  name: 'apps-workload-identity-sa'
  properties: {
    issuer: issuer
    subject: 'system:serviceaccount:apps:workload-identity-sa'
    audiences: [
      'api://AzureADTokenExchange'
    ]
  }
}

module roles_1 'wlid-roles-myIdentity-5a745e16.bicep' = {
  name: 'wlid-roles-myIdentity-5a745e16'
  scope: resourceGroup()
  params: {
    principalId: identity_myIdentity.properties.principalId
    myIdentity_role1_name: myIdentity_role1_name
  }
}

output clientId string = identity_myIdentity.properties.clientId
output principalId string = identity_myIdentity.properties.principalId
output tenantId string = identity_myIdentity.properties.tenantId
