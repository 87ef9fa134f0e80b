using '../main.bicep'

param location = 'westeurope'
param clusterName = 'aks-platform-staging'
param clusterResourceGroup = 'rg-platform-aks'
param clusterSubscriptionId = '11111111-1111-1111-1111-111111111111'
param enableWorkloadIdentity = false
param oidcIssuerUrl = ''
param tag_environment = 'staging'
