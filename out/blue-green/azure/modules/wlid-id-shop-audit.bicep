targetScope = 'resourceGroup'

param location string
param issuer string
param issuer_aks_shop_prod_blue string
param issuer_aks_shop_prod_green string
param include_sa_shop_audit_shop_audit bool
param include_sa_shop_audit_shop_audit_aks_shop_prod_blue bool
param include_sa_shop_audit_shop_audit_aks_shop_prod_green bool
param shop_audit_role1_name string

resource identity_shop_audit 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: 'shop-audit'
  location: location
  properties: {}
}

resource fic_1 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2024-11-30' = if (include_sa_shop_audit_shop_audit) {
  parent: identity_shop_audit
  name: 'shop-audit-shop-audit'
  properties: {
    issuer: issuer
    subject: 'system:serviceaccount:shop-audit:shop-audit'
    audiences: [
      'api://AzureADTokenExchange'
    ]
  }
}

resource fic_2 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2024-11-30' = if (include_sa_shop_audit_shop_audit_aks_shop_prod_blue) {
  parent: identity_shop_audit
  name: 'shop-audit-shop-audit-aks-shop-prod-blue'
  properties: {
    issuer: issuer_aks_shop_prod_blue
    subject: 'system:serviceaccount:shop-audit:shop-audit'
    audiences: [
      'api://AzureADTokenExchange'
    ]
  }
  dependsOn: [
    fic_1
  ]
}

resource fic_3 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2024-11-30' = if (include_sa_shop_audit_shop_audit_aks_shop_prod_green) {
  parent: identity_shop_audit
  name: 'shop-audit-shop-audit-aks-shop-prod-green'
  properties: {
    issuer: issuer_aks_shop_prod_green
    subject: 'system:serviceaccount:shop-audit:shop-audit'
    audiences: [
      'api://AzureADTokenExchange'
    ]
  }
  dependsOn: [
    fic_2
  ]
}

module roles_1 'wlid-roles-shop-audit-707d90f3.bicep' = {
  name: 'wlid-roles-shop-audit-707d90f3'
  scope: resourceGroup()
  params: {
    principalId: identity_shop_audit.properties.principalId
    shop_audit_role1_name: shop_audit_role1_name
  }
}

output clientId string = identity_shop_audit.properties.clientId
output principalId string = identity_shop_audit.properties.principalId
output tenantId string = identity_shop_audit.properties.tenantId
