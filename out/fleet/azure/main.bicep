targetScope = 'resourceGroup'

@description('Azure region of the managed identities.')
param location string

@description('Name of the AKS cluster.')
param clusterName string

@description('Resource group of the AKS cluster.')
param clusterResourceGroup string

@description('Subscription of the AKS cluster.')
param clusterSubscriptionId string

resource cluster 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: clusterName
  scope: resourceGroup(clusterSubscriptionId, clusterResourceGroup)
}

resource cluster_aks_fleet_weu_01 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: 'aks-fleet-weu-01'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-weu')
}

resource cluster_aks_fleet_weu_02 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: 'aks-fleet-weu-02'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-weu')
}

resource cluster_aks_fleet_weu_03 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: 'aks-fleet-weu-03'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-weu')
}

resource cluster_aks_fleet_weu_04 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: 'aks-fleet-weu-04'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-weu')
}

resource cluster_aks_fleet_weu_05 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: 'aks-fleet-weu-05'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-weu')
}

resource cluster_aks_fleet_weu_06 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: 'aks-fleet-weu-06'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-weu')
}

resource cluster_aks_fleet_weu_07 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: 'aks-fleet-weu-07'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-weu')
}

resource cluster_aks_fleet_weu_08 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: 'aks-fleet-weu-08'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-weu')
}

resource cluster_aks_fleet_weu_09 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: 'aks-fleet-weu-09'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-weu')
}

resource cluster_aks_fleet_weu_10 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: 'aks-fleet-weu-10'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-weu')
}

resource cluster_aks_fleet_neu_01 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: 'aks-fleet-neu-01'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-neu')
}

resource cluster_aks_fleet_neu_02 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: 'aks-fleet-neu-02'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-neu')
}

resource cluster_aks_fleet_neu_03 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: 'aks-fleet-neu-03'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-neu')
}

resource cluster_aks_fleet_neu_04 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: 'aks-fleet-neu-04'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-neu')
}

resource cluster_aks_fleet_neu_05 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: 'aks-fleet-neu-05'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-neu')
}

resource cluster_aks_fleet_neu_06 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: 'aks-fleet-neu-06'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-neu')
}

resource cluster_aks_fleet_neu_07 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: 'aks-fleet-neu-07'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-neu')
}

resource cluster_aks_fleet_neu_08 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: 'aks-fleet-neu-08'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-neu')
}

resource cluster_aks_fleet_neu_09 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: 'aks-fleet-neu-09'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-neu')
}

resource cluster_aks_fleet_neu_10 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: 'aks-fleet-neu-10'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-neu')
}

resource cluster_aks_fleet_eus_01 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: 'aks-fleet-eus-01'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-eus')
}

resource cluster_aks_fleet_eus_02 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: 'aks-fleet-eus-02'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-eus')
}

resource cluster_aks_fleet_eus_03 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: 'aks-fleet-eus-03'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-eus')
}

resource cluster_aks_fleet_eus_04 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: 'aks-fleet-eus-04'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-eus')
}

resource cluster_aks_fleet_eus_05 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: 'aks-fleet-eus-05'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-eus')
}

resource cluster_aks_fleet_eus_06 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: 'aks-fleet-eus-06'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-eus')
}

resource cluster_aks_fleet_eus_07 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: 'aks-fleet-eus-07'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-eus')
}

resource cluster_aks_fleet_eus_08 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: 'aks-fleet-eus-08'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-eus')
}

resource cluster_aks_fleet_eus_09 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: 'aks-fleet-eus-09'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-eus')
}

resource cluster_aks_fleet_eus_10 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: 'aks-fleet-eus-10'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-eus')
}

module identity_fleet_agent 'modules/wlid-id-fleet-agent.bicep' = {
  name: 'wlid-id-fleet-agent'
  params: {
    location: location
    issuer: cluster.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster ${clusterName} is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group ${clusterResourceGroup} --name ${clusterName} --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
  }
}

output identities object = {
  'fleet-agent': {
    clientId: identity_fleet_agent.outputs.clientId
    principalId: identity_fleet_agent.outputs.principalId
    tenantId: identity_fleet_agent.outputs.tenantId
  }
}

output oidcIssuerUrl string = cluster.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster ${clusterName} is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group ${clusterResourceGroup} --name ${clusterName} --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
output clusterIssuers object = {
  'aks-fleet-weu-01': cluster_aks_fleet_weu_01.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster aks-fleet-weu-01 is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group rg-aks-fleet-weu --name aks-fleet-weu-01 --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
  'aks-fleet-weu-02': cluster_aks_fleet_weu_02.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster aks-fleet-weu-02 is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group rg-aks-fleet-weu --name aks-fleet-weu-02 --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
  'aks-fleet-weu-03': cluster_aks_fleet_weu_03.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster aks-fleet-weu-03 is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group rg-aks-fleet-weu --name aks-fleet-weu-03 --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
  'aks-fleet-weu-04': cluster_aks_fleet_weu_04.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster aks-fleet-weu-04 is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group rg-aks-fleet-weu --name aks-fleet-weu-04 --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
  'aks-fleet-weu-05': cluster_aks_fleet_weu_05.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster aks-fleet-weu-05 is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group rg-aks-fleet-weu --name aks-fleet-weu-05 --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
  'aks-fleet-weu-06': cluster_aks_fleet_weu_06.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster aks-fleet-weu-06 is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group rg-aks-fleet-weu --name aks-fleet-weu-06 --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
  'aks-fleet-weu-07': cluster_aks_fleet_weu_07.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster aks-fleet-weu-07 is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group rg-aks-fleet-weu --name aks-fleet-weu-07 --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
  'aks-fleet-weu-08': cluster_aks_fleet_weu_08.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster aks-fleet-weu-08 is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group rg-aks-fleet-weu --name aks-fleet-weu-08 --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
  'aks-fleet-weu-09': cluster_aks_fleet_weu_09.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster aks-fleet-weu-09 is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group rg-aks-fleet-weu --name aks-fleet-weu-09 --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
  'aks-fleet-weu-10': cluster_aks_fleet_weu_10.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster aks-fleet-weu-10 is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group rg-aks-fleet-weu --name aks-fleet-weu-10 --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
  'aks-fleet-neu-01': cluster_aks_fleet_neu_01.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster aks-fleet-neu-01 is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group rg-aks-fleet-neu --name aks-fleet-neu-01 --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
  'aks-fleet-neu-02': cluster_aks_fleet_neu_02.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster aks-fleet-neu-02 is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group rg-aks-fleet-neu --name aks-fleet-neu-02 --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
  'aks-fleet-neu-03': cluster_aks_fleet_neu_03.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster aks-fleet-neu-03 is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group rg-aks-fleet-neu --name aks-fleet-neu-03 --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
  'aks-fleet-neu-04': cluster_aks_fleet_neu_04.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster aks-fleet-neu-04 is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group rg-aks-fleet-neu --name aks-fleet-neu-04 --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
  'aks-fleet-neu-05': cluster_aks_fleet_neu_05.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster aks-fleet-neu-05 is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group rg-aks-fleet-neu --name aks-fleet-neu-05 --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
  'aks-fleet-neu-06': cluster_aks_fleet_neu_06.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster aks-fleet-neu-06 is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group rg-aks-fleet-neu --name aks-fleet-neu-06 --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
  'aks-fleet-neu-07': cluster_aks_fleet_neu_07.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster aks-fleet-neu-07 is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group rg-aks-fleet-neu --name aks-fleet-neu-07 --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
  'aks-fleet-neu-08': cluster_aks_fleet_neu_08.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster aks-fleet-neu-08 is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group rg-aks-fleet-neu --name aks-fleet-neu-08 --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
  'aks-fleet-neu-09': cluster_aks_fleet_neu_09.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster aks-fleet-neu-09 is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group rg-aks-fleet-neu --name aks-fleet-neu-09 --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
  'aks-fleet-neu-10': cluster_aks_fleet_neu_10.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster aks-fleet-neu-10 is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group rg-aks-fleet-neu --name aks-fleet-neu-10 --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
  'aks-fleet-eus-01': cluster_aks_fleet_eus_01.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster aks-fleet-eus-01 is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group rg-aks-fleet-eus --name aks-fleet-eus-01 --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
  'aks-fleet-eus-02': cluster_aks_fleet_eus_02.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster aks-fleet-eus-02 is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group rg-aks-fleet-eus --name aks-fleet-eus-02 --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
  'aks-fleet-eus-03': cluster_aks_fleet_eus_03.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster aks-fleet-eus-03 is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group rg-aks-fleet-eus --name aks-fleet-eus-03 --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
  'aks-fleet-eus-04': cluster_aks_fleet_eus_04.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster aks-fleet-eus-04 is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group rg-aks-fleet-eus --name aks-fleet-eus-04 --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
  'aks-fleet-eus-05': cluster_aks_fleet_eus_05.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster aks-fleet-eus-05 is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group rg-aks-fleet-eus --name aks-fleet-eus-05 --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
  'aks-fleet-eus-06': cluster_aks_fleet_eus_06.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster aks-fleet-eus-06 is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group rg-aks-fleet-eus --name aks-fleet-eus-06 --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
  'aks-fleet-eus-07': cluster_aks_fleet_eus_07.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster aks-fleet-eus-07 is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group rg-aks-fleet-eus --name aks-fleet-eus-07 --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
  'aks-fleet-eus-08': cluster_aks_fleet_eus_08.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster aks-fleet-eus-08 is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group rg-aks-fleet-eus --name aks-fleet-eus-08 --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
  'aks-fleet-eus-09': cluster_aks_fleet_eus_09.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster aks-fleet-eus-09 is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group rg-aks-fleet-eus --name aks-fleet-eus-09 --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
  'aks-fleet-eus-10': cluster_aks_fleet_eus_10.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster aks-fleet-eus-10 is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group rg-aks-fleet-eus --name aks-fleet-eus-10 --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
}
