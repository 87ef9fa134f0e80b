from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'bicep/cluster-workload-identity.bicep.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_cluster_type = resolve('cluster_type')
    try:
        t_1 = environment.filters['bicep_string']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'bicep_string' found.")
    pass
    yield "targetScope = 'resourceGroup'\n\nparam clusterName string\nparam location string\nparam tags object\nparam sku object\nparam identity object\nparam properties object\n\n// The cluster as it is, with the OIDC issuer and workload identity turned on.\nresource cluster "
    yield str(environment.finalize(t_1((undefined(name='cluster_type') if l_0_cluster_type is missing else l_0_cluster_type))))
    yield ' = {\n  name: clusterName\n  location: location\n  tags: tags\n  sku: sku\n  identity: identity\n  properties: union(properties, {\n    oidcIssuerProfile: {\n      enabled: true\n    }\n    securityProfile: {\n      workloadIdentity: {\n        enabled: true\n      }\n    }\n  })\n}\n\noutput oidcIssuerUrl string = cluster.properties.oidcIssuerProfile.issuerURL\n'

blocks = {}
debug_info = '12=19'