using '../main.bicep'

param location = 'westeurope'
param clusterName = 'aks-platform-dev'
param clusterResourceGroup = 'rg-platform-dev'
param clusterSubscriptionId = '44444444-4444-4444-4444-444444444444'
param enableWorkloadIdentity = true
param oidcIssuerUrl = ''
param tag_environment = 'dev'
