using '../main.bicep'

param location = 'eastus'
param clusterName = 'aks-wlid-dev'
param clusterResourceGroup = 'rg-wlid-dev'
param clusterSubscriptionId = '11111111-1111-1111-1111-111111111111'
param myIdentity_role1_name = 'kv-wlid-dev'
