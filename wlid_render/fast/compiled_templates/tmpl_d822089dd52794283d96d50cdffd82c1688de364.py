from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'bicep/cluster-workload-identity.bicep.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_refusals = resolve('refusals')
    l_0_cluster_type = resolve('cluster_type')
    try:
        t_1 = environment.filters['bicep_format']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'bicep_format' found.")
    try:
        t_2 = environment.filters['bicep_string']
    except KeyError:
        @internalcode
        def t_2(*unused):
            raise TemplateRuntimeError("No filter named 'bicep_string' found.")
    pass
    yield "targetScope = 'resourceGroup'\n\nparam clusterName string\nparam oidcIssuerEnabled bool\nparam workloadIdentityEnabled bool\nparam current object\n\n// Write the cluster only while a flag is off: once both are on, this deployment writes nothing.\nvar needsWrite = !(oidcIssuerEnabled && workloadIdentityEnabled)\n// Why the cluster cannot be written back now ('' when it can, or when nothing needs writing).\nvar busyPools = filter(current.properties.?agentPoolProfiles ?? [], pool => pool.?provisioningState != 'Succeeded')\nvar refusal = !needsWrite ? '' : (current.properties.?provisioningState != 'Succeeded' ? "
    yield str(environment.finalize(t_1(environment.getattr((undefined(name='refusals') if l_0_refusals is missing else l_0_refusals), 'provisioning'))))
    yield ' : (length(busyPools) > 0 ? '
    yield str(environment.finalize(t_1(environment.getattr((undefined(name='refusals') if l_0_refusals is missing else l_0_refusals), 'pools'))))
    yield " : (current.properties.?powerState.?code == 'Stopped' ? "
    yield str(environment.finalize(t_1(environment.getattr((undefined(name='refusals') if l_0_refusals is missing else l_0_refusals), 'stopped'))))
    yield " : '')))\n\n// The cluster as it was read, with the two flags merged in by union().\nresource managedCluster "
    yield str(environment.finalize(t_2((undefined(name='cluster_type') if l_0_cluster_type is missing else l_0_cluster_type))))
    yield ' = if (needsWrite) {\n  name: clusterName\n  location: current.location\n  extendedLocation: current.?extendedLocation\n  tags: current.?tags\n  sku: current.?sku\n  kind: current.?kind\n  identity: current.?identity\n  properties: empty(refusal) ? union(current.properties, {\n    oidcIssuerProfile: {\n      enabled: true\n    }\n    securityProfile: {\n      workloadIdentity: {\n        enabled: true\n      }\n    }\n  }) : fail(refusal)\n}\n'

blocks = {}
debug_info = '13=26&16=32'