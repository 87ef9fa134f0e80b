using '../main.bicep'

param location = 'westeurope'
param clusterName = 'aks-shop-prod-blue'
param clusterResourceGroup = 'rg-aks-prod'
param clusterSubscriptionId = '11111111-1111-1111-1111-111111111111'
param include_cluster_aks_shop_prod_blue = true
param include_cluster_aks_shop_prod_green = true
param include_ib_shop_cluster = false
param include_ib_shop_aks_shop_prod_blue = true
param include_ib_shop_aks_shop_prod_green = true
param shop_role1_name = 'kv-shop-prod'
param include_sa_shop_audit_shop_audit = false
param include_sa_shop_audit_shop_audit_aks_shop_prod_blue = true
param include_sa_shop_audit_shop_audit_aks_shop_prod_green = true
param shop_audit_role1_name = 'stshopauditprod'
