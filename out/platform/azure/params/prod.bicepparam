using '../main.bicep'

param location = 'northeurope'
param clusterName = 'aks-platform-prod'
param clusterResourceGroup = 'rg-platform-aks'
param clusterSubscriptionId = '11111111-1111-1111-1111-111111111111'
param enableWorkloadIdentity = false
param oidcIssuerUrl = 'https://northeurope.oic.prod-aks.azure.com/22222222-2222-2222-2222-222222222222/66666666-6666-6666-6666-666666666666/'
param tag_environment = 'prod'
