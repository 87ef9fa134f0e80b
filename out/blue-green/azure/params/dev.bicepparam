using '../main.bicep'

param location = 'westeurope'
param clusterName = 'aks-shop-dev'
param clusterResourceGroup = 'rg-shop-dev'
param clusterSubscriptionId = '11111111-1111-1111-1111-111111111111'
param include_cluster_aks_shop_prod_blue = false
param include_cluster_aks_shop_prod_green = false
param include_ib_shop_cluster = true
param include_ib_shop_aks_shop_prod_blue = false
param include_ib_shop_aks_shop_prod_green = false
param shop_role1_name = 'kv-shop-dev'
param include_sa_shop_audit_shop_audit = true
param include_sa_shop_audit_shop_audit_aks_shop_prod_blue = false
param include_sa_shop_audit_shop_audit_aks_shop_prod_green = false
param shop_audit_role1_name = 'stshopauditdev'
