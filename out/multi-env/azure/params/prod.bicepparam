using '../main.bicep'

param location = 'westeurope'
param clusterName = 'aks-shop-prod'
param clusterResourceGroup = 'rg-shop-prod'
param clusterSubscriptionId = '66666666-6666-6666-6666-666666666666'
param enableWorkloadIdentity = true
param shop_api_role1_resourceGroup = 'rg-shop-secrets-prod'
param shop_api_role1_name = 'kv-shop-prod'
param shop_api_role2_name = 'stshopassetsprod'
param include_shop_reporting = true
