targetScope = 'resourceGroup'

param location string
param issuer string

resource identity_fleet_agent 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: 'fleet-agent'
  location: location
  properties: {}
}

module roles_1 'wlid-roles-fleet-agent-0c679271.bicep' = {
  name: 'wlid-roles-fleet-agent-0c679271'
  scope: resourceGroup('rg-fleet-monitoring')
  params: {
    principalId: identity_fleet_agent.properties.principalId
  }
}

// An AKS identity binding: AKS makes the identity's one credential (aks-identity-binding) itself.
module binding_1 'identity-binding.bicep' = {
  name: 'wlid-ib-fleet-agent-aks-fleet-weu-01'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-weu')
  params: {
    clusterName: 'aks-fleet-weu-01'
    bindingName: 'fleetagenta75c13fb'
    identityId: identity_fleet_agent.id
  }
}

// An AKS identity binding: AKS makes the identity's one credential (aks-identity-binding) itself.
module binding_2 'identity-binding.bicep' = {
  name: 'wlid-ib-fleet-agent-aks-fleet-weu-02'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-weu')
  params: {
    clusterName: 'aks-fleet-weu-02'
    bindingName: 'fleetagenta75c13fb'
    identityId: identity_fleet_agent.id
  }
}

// An AKS identity binding: AKS makes the identity's one credential (aks-identity-binding) itself.
module binding_3 'identity-binding.bicep' = {
  name: 'wlid-ib-fleet-agent-aks-fleet-weu-03'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-weu')
  params: {
    clusterName: 'aks-fleet-weu-03'
    bindingName: 'fleetagenta75c13fb'
    identityId: identity_fleet_agent.id
  }
}

// An AKS identity binding: AKS makes the identity's one credential (aks-identity-binding) itself.
module binding_4 'identity-binding.bicep' = {
  name: 'wlid-ib-fleet-agent-aks-fleet-weu-04'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-weu')
  params: {
    clusterName: 'aks-fleet-weu-04'
    bindingName: 'fleetagenta75c13fb'
    identityId: identity_fleet_agent.id
  }
}

// An AKS identity binding: AKS makes the identity's one credential (aks-identity-binding) itself.
module binding_5 'identity-binding.bicep' = {
  name: 'wlid-ib-fleet-agent-aks-fleet-weu-05'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-weu')
  params: {
    clusterName: 'aks-fleet-weu-05'
    bindingName: 'fleetagenta75c13fb'
    identityId: identity_fleet_agent.id
  }
}

// An AKS identity binding: AKS makes the identity's one credential (aks-identity-binding) itself.
module binding_6 'identity-binding.bicep' = {
  name: 'wlid-ib-fleet-agent-aks-fleet-weu-06'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-weu')
  params: {
    clusterName: 'aks-fleet-weu-06'
    bindingName: 'fleetagenta75c13fb'
    identityId: identity_fleet_agent.id
  }
}

// An AKS identity binding: AKS makes the identity's one credential (aks-identity-binding) itself.
module binding_7 'identity-binding.bicep' = {
  name: 'wlid-ib-fleet-agent-aks-fleet-weu-07'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-weu')
  params: {
    clusterName: 'aks-fleet-weu-07'
    bindingName: 'fleetagenta75c13fb'
    identityId: identity_fleet_agent.id
  }
}

// An AKS identity binding: AKS makes the identity's one credential (aks-identity-binding) itself.
module binding_8 'identity-binding.bicep' = {
  name: 'wlid-ib-fleet-agent-aks-fleet-weu-08'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-weu')
  params: {
    clusterName: 'aks-fleet-weu-08'
    bindingName: 'fleetagenta75c13fb'
    identityId: identity_fleet_agent.id
  }
}

// An AKS identity binding: AKS makes the identity's one credential (aks-identity-binding) itself.
module binding_9 'identity-binding.bicep' = {
  name: 'wlid-ib-fleet-agent-aks-fleet-weu-09'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-weu')
  params: {
    clusterName: 'aks-fleet-weu-09'
    bindingName: 'fleetagenta75c13fb'
    identityId: identity_fleet_agent.id
  }
}

// An AKS identity binding: AKS makes the identity's one credential (aks-identity-binding) itself.
module binding_10 'identity-binding.bicep' = {
  name: 'wlid-ib-fleet-agent-aks-fleet-weu-10'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-weu')
  params: {
    clusterName: 'aks-fleet-weu-10'
    bindingName: 'fleetagenta75c13fb'
    identityId: identity_fleet_agent.id
  }
}

// An AKS identity binding: AKS makes the identity's one credential (aks-identity-binding) itself.
module binding_11 'identity-binding.bicep' = {
  name: 'wlid-ib-fleet-agent-aks-fleet-neu-01'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-neu')
  params: {
    clusterName: 'aks-fleet-neu-01'
    bindingName: 'fleetagenta75c13fb'
    identityId: identity_fleet_agent.id
  }
}

// An AKS identity binding: AKS makes the identity's one credential (aks-identity-binding) itself.
module binding_12 'identity-binding.bicep' = {
  name: 'wlid-ib-fleet-agent-aks-fleet-neu-02'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-neu')
  params: {
    clusterName: 'aks-fleet-neu-02'
    bindingName: 'fleetagenta75c13fb'
    identityId: identity_fleet_agent.id
  }
}

// An AKS identity binding: AKS makes the identity's one credential (aks-identity-binding) itself.
module binding_13 'identity-binding.bicep' = {
  name: 'wlid-ib-fleet-agent-aks-fleet-neu-03'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-neu')
  params: {
    clusterName: 'aks-fleet-neu-03'
    bindingName: 'fleetagenta75c13fb'
    identityId: identity_fleet_agent.id
  }
}

// An AKS identity binding: AKS makes the identity's one credential (aks-identity-binding) itself.
module binding_14 'identity-binding.bicep' = {
  name: 'wlid-ib-fleet-agent-aks-fleet-neu-04'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-neu')
  params: {
    clusterName: 'aks-fleet-neu-04'
    bindingName: 'fleetagenta75c13fb'
    identityId: identity_fleet_agent.id
  }
}

// An AKS identity binding: AKS makes the identity's one credential (aks-identity-binding) itself.
module binding_15 'identity-binding.bicep' = {
  name: 'wlid-ib-fleet-agent-aks-fleet-neu-05'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-neu')
  params: {
    clusterName: 'aks-fleet-neu-05'
    bindingName: 'fleetagenta75c13fb'
    identityId: identity_fleet_agent.id
  }
}

// An AKS identity binding: AKS makes the identity's one credential (aks-identity-binding) itself.
module binding_16 'identity-binding.bicep' = {
  name: 'wlid-ib-fleet-agent-aks-fleet-neu-06'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-neu')
  params: {
    clusterName: 'aks-fleet-neu-06'
    bindingName: 'fleetagenta75c13fb'
    identityId: identity_fleet_agent.id
  }
}

// An AKS identity binding: AKS makes the identity's one credential (aks-identity-binding) itself.
module binding_17 'identity-binding.bicep' = {
  name: 'wlid-ib-fleet-agent-aks-fleet-neu-07'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-neu')
  params: {
    clusterName: 'aks-fleet-neu-07'
    bindingName: 'fleetagenta75c13fb'
    identityId: identity_fleet_agent.id
  }
}

// An AKS identity binding: AKS makes the identity's one credential (aks-identity-binding) itself.
module binding_18 'identity-binding.bicep' = {
  name: 'wlid-ib-fleet-agent-aks-fleet-neu-08'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-neu')
  params: {
    clusterName: 'aks-fleet-neu-08'
    bindingName: 'fleetagenta75c13fb'
    identityId: identity_fleet_agent.id
  }
}

// An AKS identity binding: AKS makes the identity's one credential (aks-identity-binding) itself.
module binding_19 'identity-binding.bicep' = {
  name: 'wlid-ib-fleet-agent-aks-fleet-neu-09'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-neu')
  params: {
    clusterName: 'aks-fleet-neu-09'
    bindingName: 'fleetagenta75c13fb'
    identityId: identity_fleet_agent.id
  }
}

// An AKS identity binding: AKS makes the identity's one credential (aks-identity-binding) itself.
module binding_20 'identity-binding.bicep' = {
  name: 'wlid-ib-fleet-agent-aks-fleet-neu-10'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-neu')
  params: {
    clusterName: 'aks-fleet-neu-10'
    bindingName: 'fleetagenta75c13fb'
    identityId: identity_fleet_agent.id
  }
}

// An AKS identity binding: AKS makes the identity's one credential (aks-identity-binding) itself.
module binding_21 'identity-binding.bicep' = {
  name: 'wlid-ib-fleet-agent-aks-fleet-eus-01'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-eus')
  params: {
    clusterName: 'aks-fleet-eus-01'
    bindingName: 'fleetagenta75c13fb'
    identityId: identity_fleet_agent.id
  }
}

// An AKS identity binding: AKS makes the identity's one credential (aks-identity-binding) itself.
module binding_22 'identity-binding.bicep' = {
  name: 'wlid-ib-fleet-agent-aks-fleet-eus-02'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-eus')
  params: {
    clusterName: 'aks-fleet-eus-02'
    bindingName: 'fleetagenta75c13fb'
    identityId: identity_fleet_agent.id
  }
}

// An AKS identity binding: AKS makes the identity's one credential (aks-identity-binding) itself.
module binding_23 'identity-binding.bicep' = {
  name: 'wlid-ib-fleet-agent-aks-fleet-eus-03'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-eus')
  params: {
    clusterName: 'aks-fleet-eus-03'
    bindingName: 'fleetagenta75c13fb'
    identityId: identity_fleet_agent.id
  }
}

// An AKS identity binding: AKS makes the identity's one credential (aks-identity-binding) itself.
module binding_24 'identity-binding.bicep' = {
  name: 'wlid-ib-fleet-agent-aks-fleet-eus-04'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-eus')
  params: {
    clusterName: 'aks-fleet-eus-04'
    bindingName: 'fleetagenta75c13fb'
    identityId: identity_fleet_agent.id
  }
}

// An AKS identity binding: AKS makes the identity's one credential (aks-identity-binding) itself.
module binding_25 'identity-binding.bicep' = {
  name: 'wlid-ib-fleet-agent-aks-fleet-eus-05'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-eus')
  params: {
    clusterName: 'aks-fleet-eus-05'
    bindingName: 'fleetagenta75c13fb'
    identityId: identity_fleet_agent.id
  }
}

// An AKS identity binding: AKS makes the identity's one credential (aks-identity-binding) itself.
module binding_26 'identity-binding.bicep' = {
  name: 'wlid-ib-fleet-agent-aks-fleet-eus-06'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-eus')
  params: {
    clusterName: 'aks-fleet-eus-06'
    bindingName: 'fleetagenta75c13fb'
    identityId: identity_fleet_agent.id
  }
}

// An AKS identity binding: AKS makes the identity's one credential (aks-identity-binding) itself.
module binding_27 'identity-binding.bicep' = {
  name: 'wlid-ib-fleet-agent-aks-fleet-eus-07'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-eus')
  params: {
    clusterName: 'aks-fleet-eus-07'
    bindingName: 'fleetagenta75c13fb'
    identityId: identity_fleet_agent.id
  }
}

// An AKS identity binding: AKS makes the identity's one credential (aks-identity-binding) itself.
module binding_28 'identity-binding.bicep' = {
  name: 'wlid-ib-fleet-agent-aks-fleet-eus-08'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-eus')
  params: {
    clusterName: 'aks-fleet-eus-08'
    bindingName: 'fleetagenta75c13fb'
    identityId: identity_fleet_agent.id
  }
}

// An AKS identity binding: AKS makes the identity's one credential (aks-identity-binding) itself.
module binding_29 'identity-binding.bicep' = {
  name: 'wlid-ib-fleet-agent-aks-fleet-eus-09'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-eus')
  params: {
    clusterName: 'aks-fleet-eus-09'
    bindingName: 'fleetagenta75c13fb'
    identityId: identity_fleet_agent.id
  }
}

// An AKS identity binding: AKS makes the identity's one credential (aks-identity-binding) itself.
module binding_30 'identity-binding.bicep' = {
  name: 'wlid-ib-fleet-agent-aks-fleet-eus-10'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-fleet-eus')
  params: {
    clusterName: 'aks-fleet-eus-10'
    bindingName: 'fleetagenta75c13fb'
    identityId: identity_fleet_agent.id
  }
}

output clientId string = identity_fleet_agent.properties.clientId
output principalId string = identity_fleet_agent.properties.principalId
output tenantId string = identity_fleet_agent.properties.tenantId
