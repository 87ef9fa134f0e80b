targetScope = 'resourceGroup'

param clusterName string
param location string
param tags object
param sku object
param identity object
param properties object

// The cluster as it is, with the OIDC issuer and workload identity turned on.
resource cluster 'Microsoft.ContainerService/managedClusters@2024-09-01' = {
  name: clusterName
  location: location
  tags: tags
  sku: sku
  identity: identity
  properties: union(properties, {
    oidcIssuerProfile: {
      enabled: true
    }
    securityProfile: {
      workloadIdentity: {
        enabled: true
      }
    }
  })
}

output oidcIssuerUrl string = cluster.properties.oidcIssuerProfile.issuerURL
