using '../main.bicep'

param location = 'eastus'
param clusterName = 'aks-wlid-lab'
param clusterResourceGroup = 'rg-wlid-lab'
param clusterSubscriptionId = '11111111-1111-1111-1111-111111111111'
param enableWorkloadIdentity = true
