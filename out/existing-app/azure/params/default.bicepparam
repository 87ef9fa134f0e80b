using '../main.bicep'

param location = 'northeurope'
param clusterName = 'aks-payments'
param clusterResourceGroup = 'rg-payments'
param clusterSubscriptionId = '11111111-1111-1111-1111-111111111111'
