using '../main.bicep'

param location = 'westeurope'
param clusterName = 'aks-fleet-weu-01'
param clusterResourceGroup = 'rg-aks-fleet-weu'
param clusterSubscriptionId = '11111111-1111-1111-1111-111111111111'
