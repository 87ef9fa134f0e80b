targetScope = 'resourceGroup'

param location string
param issuer string

resource identity_payments 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: 'payments'
  location: location
  properties: {}
}

resource fic_1 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2024-11-30' = {
  parent: identity_payments
  name: 'payments-payments-api'
  properties: {
    issuer: issuer
    subject: 'system:serviceaccount:payments:payments-api'
    audiences: [
      'api://AzureADTokenExchange'
    ]
  }
}

resource fic_2 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2024-11-30' = {
  parent: identity_payments
  name: 'payments-payments-worker'
  properties: {
    issuer: issuer
    subject: 'system:serviceaccount:payments:payments-worker'
    audiences: [
      'api://AzureADTokenExchange'
    ]
  }
  dependsOn: [
    fic_1
  ]
}

module roles_1 'wlid-roles-payments-485dbd05.bicep' = {
  name: 'wlid-roles-payments-485dbd05'
  scope: resourceGroup()
  params: {
    principalId: identity_payments.properties.principalId
  }
}

output clientId string = identity_payments.properties.clientId
output principalId string = identity_payments.properties.principalId
output tenantId string = identity_payments.properties.tenantId
