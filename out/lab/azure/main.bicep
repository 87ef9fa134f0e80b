targetScope = 'resourceGroup'

@description('Azure region of the managed identities.')
param location string

@description('Name of the AKS cluster.')
param clusterName string

@description('Resource group of the AKS cluster.')
param clusterResourceGroup string

@description('Subscription of the AKS cluster.')
param clusterSubscriptionId string

@description('Turn on the cluster\'s OIDC issuer and workload identity before creating credentials.')
param enableWorkloadIdentity bool = false

resource cluster 'Microsoft.ContainerService/managedClusters@2024-09-01' existing = {
  name: clusterName
  scope: resourceGroup(clusterSubscriptionId, clusterResourceGroup)
}

// ARM replaces the whole cluster on PUT: pass the cluster as it is and merge in the two flags.
module clusterWorkloadIdentity 'modules/cluster-workload-identity.bicep' = if (enableWorkloadIdentity) {
  name: 'wlid-lab-cluster'
  scope: resourceGroup(clusterSubscriptionId, clusterResourceGroup)
  params: {
    clusterName: clusterName
    location: cluster.location
    tags: cluster.?tags ?? {}
    sku: cluster.sku
    identity: cluster.?identity ?? { type: 'None' }
    properties: cluster.properties
  }
}

resource identity_myIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: 'myIdentity'
  location: location
  properties: {}
}

resource fic_myIdentity_1 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2024-11-30' = {
  parent: identity_myIdentity
  name: 'myFedIdentity'
  properties: {
    issuer: cluster.properties.oidcIssuerProfile.issuerURL
    subject: 'system:serviceaccount:default:workload-identity-sa'
    audiences: [
      'api://AzureADTokenExchange'
    ]
  }
  dependsOn: [
    clusterWorkloadIdentity
  ]
}

module roles_myIdentity_1 'modules/wlid-myIdentity-roles-f2a44b68.bicep' = {
  name: 'wlid-myIdentity-roles-f2a44b68'
  scope: resourceGroup()
  params: {
    principalId: identity_myIdentity.properties.principalId
  }
}

output identities object = {
  myIdentity: {
    clientId: identity_myIdentity.properties.clientId
    principalId: identity_myIdentity.properties.principalId
    tenantId: identity_myIdentity.properties.tenantId
  }
}

output oidcIssuerUrl string = cluster.properties.oidcIssuerProfile.issuerURL
