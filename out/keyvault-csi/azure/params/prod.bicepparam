using '../main.bicep'

param location = 'eastus'
param clusterName = 'aks-wlid-prod'
param clusterResourceGroup = 'rg-wlid-prod'
param clusterSubscriptionId = '11111111-1111-1111-1111-111111111111'
param myIdentity_role1_name = 'kv-wlid-prod'
