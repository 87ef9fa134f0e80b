using '../main.bicep'

param location = 'westeurope'
param clusterName = 'aks-shop-dev'
param clusterResourceGroup = 'rg-shop-dev'
param clusterSubscriptionId = '44444444-4444-4444-4444-444444444444'
param enableWorkloadIdentity = true
param shop_api_role1_resourceGroup = 'rg-shop-secrets-dev'
param shop_api_role1_name = 'kv-shop-dev'
param shop_api_role2_name = 'stshopassetsdev'
param include_shop_reporting = false
