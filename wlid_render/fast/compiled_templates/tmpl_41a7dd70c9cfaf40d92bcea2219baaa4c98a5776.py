from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'bicep/main.bicep.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_parameters = resolve('parameters')
    l_0_cluster_type = resolve('cluster_type')
    l_0_listed_clusters = resolve('listed_clusters')
    l_0_cluster_update = resolve('cluster_update')
    l_0_cluster_module = resolve('cluster_module')
    l_0_cluster_deployment = resolve('cluster_deployment')
    l_0_identities = resolve('identities')
    l_0_outputs_identities = resolve('outputs_identities')
    l_0_pins_issuer = resolve('pins_issuer')
    l_0_issuer_off = resolve('issuer_off')
    l_0_cluster_issuers = resolve('cluster_issuers')
    try:
        t_1 = environment.filters['bicep_format']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'bicep_format' found.")
    try:
        t_2 = environment.filters['bicep_ident']
    except KeyError:
        @internalcode
        def t_2(*unused):
            raise TemplateRuntimeError("No filter named 'bicep_ident' found.")
    try:
        t_3 = environment.filters['bicep_key']
    except KeyError:
        @internalcode
        def t_3(*unused):
            raise TemplateRuntimeError("No filter named 'bicep_key' found.")
    try:
        t_4 = environment.filters['bicep_string']
    except KeyError:
        @internalcode
        def t_4(*unused):
            raise TemplateRuntimeError("No filter named 'bicep_string' found.")
    try:
        t_5 = environment.filters['bicep_value']
    except KeyError:
        @internalcode
        def t_5(*unused):
            raise TemplateRuntimeError("No filter named 'bicep_value' found.")
    try:
        t_6 = environment.tests['none']
    except KeyError:
        @internalcode
        def t_6(*unused):
            raise TemplateRuntimeError("No test named 'none' found.")
    pass
    yield "targetScope = 'resourceGroup'\n\n"
    for l_1_p in (undefined(name='parameters') if l_0_parameters is missing else l_0_parameters):
        _loop_vars = {}
        pass
        yield '@description('
        yield str(environment.finalize(t_4(environment.getattr(l_1_p, 'description'))))
        yield ')\nparam '
        yield str(environment.finalize(t_2(environment.getattr(l_1_p, 'name'))))
        yield ' '
        yield str(environment.finalize(t_2(environment.getattr(l_1_p, 'type'))))
        if (not t_6(environment.getattr(l_1_p, 'default'))):
            pass
            yield ' = '
            yield str(environment.finalize(t_5(environment.getattr(l_1_p, 'default'))))
        yield '\n\n'
    l_1_p = missing
    yield 'resource cluster '
    yield str(environment.finalize(t_4((undefined(name='cluster_type') if l_0_cluster_type is missing else l_0_cluster_type))))
    yield ' existing = {\n  name: clusterName\n  scope: resourceGroup(clusterSubscriptionId, clusterResourceGroup)\n}\n\n'
    for l_1_c in (undefined(name='listed_clusters') if l_0_listed_clusters is missing else l_0_listed_clusters):
        _loop_vars = {}
        pass
        yield 'resource '
        yield str(environment.finalize(t_2(environment.getattr(l_1_c, 'symbol'))))
        yield ' '
        yield str(environment.finalize(t_4((undefined(name='cluster_type') if l_0_cluster_type is missing else l_0_cluster_type))))
        yield ' existing = {\n  name: '
        yield str(environment.finalize(t_4(environment.getattr(l_1_c, 'name'))))
        yield '\n  scope: resourceGroup('
        yield str(environment.finalize(t_4(environment.getattr(l_1_c, 'subscription'))))
        yield ', '
        yield str(environment.finalize(t_4(environment.getattr(l_1_c, 'resource_group'))))
        yield ')\n}\n\n'
    l_1_c = missing
    if (undefined(name='cluster_update') if l_0_cluster_update is missing else l_0_cluster_update):
        pass
        yield '// Opt-in: turn on the OIDC issuer and workload identity while one of them is off. The module gets the\n// current flags and the cluster as it is (ARM replaces the whole cluster on PUT) and writes nothing\n// once both flags are on.\nmodule clusterWorkloadIdentity '
        yield str(environment.finalize(t_4((undefined(name='cluster_module') if l_0_cluster_module is missing else l_0_cluster_module))))
        yield ' = if (enableWorkloadIdentity) {\n  name: '
        yield str(environment.finalize(t_4((undefined(name='cluster_deployment') if l_0_cluster_deployment is missing else l_0_cluster_deployment))))
        yield '\n  scope: resourceGroup(clusterSubscriptionId, clusterResourceGroup)\n  params: {\n    clusterName: clusterName\n    oidcIssuerEnabled: cluster.properties.?oidcIssuerProfile.?enabled ?? false\n    workloadIdentityEnabled: cluster.properties.?securityProfile.?workloadIdentity.?enabled ?? false\n    current: {\n      location: cluster.location\n      extendedLocation: cluster.?extendedLocation\n      kind: cluster.?kind\n      sku: cluster.?sku\n      tags: cluster.?tags\n      identity: cluster.?identity\n      properties: cluster.properties\n    }\n  }\n}\n\n'
    for l_1_identity in (undefined(name='identities') if l_0_identities is missing else l_0_identities):
        l_1_cluster_module_symbol = resolve('cluster_module_symbol')
        _loop_vars = {}
        pass
        yield 'module '
        yield str(environment.finalize(t_2(environment.getattr(l_1_identity, 'symbol'))))
        yield ' '
        yield str(environment.finalize(t_4(environment.getattr(l_1_identity, 'path'))))
        yield ' = '
        if environment.getattr(l_1_identity, 'condition'):
            pass
            yield 'if ('
            yield str(environment.finalize(t_2(environment.getattr(l_1_identity, 'condition'))))
            yield ') '
        yield '{\n  name: '
        yield str(environment.finalize(t_4(environment.getattr(l_1_identity, 'deployment'))))
        yield '\n  params: {\n    location: location\n'
        if (undefined(name='pins_issuer') if l_0_pins_issuer is missing else l_0_pins_issuer):
            pass
            yield '    issuer: empty(oidcIssuerUrl) ? (cluster.properties.?oidcIssuerProfile.?issuerURL ?? fail('
            yield str(environment.finalize(t_1((undefined(name='issuer_off') if l_0_issuer_off is missing else l_0_issuer_off))))
            yield ')) : oidcIssuerUrl\n'
        else:
            pass
            yield '    issuer: cluster.properties.?oidcIssuerProfile.?issuerURL ?? fail('
            yield str(environment.finalize(t_1((undefined(name='issuer_off') if l_0_issuer_off is missing else l_0_issuer_off))))
            yield ')\n'
        for l_2_c in environment.getattr(l_1_identity, 'issuers'):
            _loop_vars = {}
            pass
            if ((not t_6(environment.getattr(l_2_c, 'pinned'))) and environment.getattr(l_2_c, 'condition')):
                pass
                yield '    '
                yield str(environment.finalize(t_2(environment.getattr(l_2_c, 'parameter'))))
                yield ': '
                yield str(environment.finalize(t_2(environment.getattr(l_2_c, 'condition'))))
                yield ' ? '
                yield str(environment.finalize(t_4(environment.getattr(l_2_c, 'pinned'))))
                yield " : ''\n"
            elif (not t_6(environment.getattr(l_2_c, 'pinned'))):
                pass
                yield '    '
                yield str(environment.finalize(t_2(environment.getattr(l_2_c, 'parameter'))))
                yield ': '
                yield str(environment.finalize(t_4(environment.getattr(l_2_c, 'pinned'))))
                yield '\n'
            elif environment.getattr(l_2_c, 'condition'):
                pass
                yield '    '
                yield str(environment.finalize(t_2(environment.getattr(l_2_c, 'parameter'))))
                yield ': '
                yield str(environment.finalize(t_2(environment.getattr(l_2_c, 'condition'))))
                yield ' ? ('
                yield str(environment.finalize(t_2(environment.getattr(l_2_c, 'symbol'))))
                yield '.properties.?oidcIssuerProfile.?issuerURL ?? fail('
                yield str(environment.finalize(t_1(environment.getattr(l_2_c, 'issuer_off'))))
                yield ")) : ''\n"
            else:
                pass
                yield '    '
                yield str(environment.finalize(t_2(environment.getattr(l_2_c, 'parameter'))))
                yield ': '
                yield str(environment.finalize(t_2(environment.getattr(l_2_c, 'symbol'))))
                yield '.properties.?oidcIssuerProfile.?issuerURL ?? fail('
                yield str(environment.finalize(t_1(environment.getattr(l_2_c, 'issuer_off'))))
                yield ')\n'
        l_2_c = missing
        for l_2_name in environment.getattr(l_1_identity, 'parameters'):
            _loop_vars = {}
            pass
            yield '    '
            yield str(environment.finalize(t_2(l_2_name)))
            yield ': '
            yield str(environment.finalize(t_2(l_2_name)))
            yield '\n'
        l_2_name = missing
        yield '  }\n'
        if (undefined(name='cluster_update') if l_0_cluster_update is missing else l_0_cluster_update):
            pass
            yield '  dependsOn: [\n    '
            yield str(environment.finalize(t_2((undefined(name='cluster_module_symbol') if l_1_cluster_module_symbol is missing else l_1_cluster_module_symbol))))
            yield '\n  ]\n'
        yield '}\n\n'
    l_1_identity = l_1_cluster_module_symbol = missing
    if (undefined(name='outputs_identities') if l_0_outputs_identities is missing else l_0_outputs_identities):
        pass
        yield 'output identities object = {\n'
        for l_1_identity in (undefined(name='identities') if l_0_identities is missing else l_0_identities):
            _loop_vars = {}
            pass
            yield '  '
            yield str(environment.finalize(t_3(environment.getattr(l_1_identity, 'name'))))
            yield ': {\n'
            for l_2_key in ['clientId', 'principalId', 'tenantId']:
                _loop_vars = {}
                pass
                if environment.getattr(l_1_identity, 'condition'):
                    pass
                    yield '    '
                    yield str(environment.finalize(t_2(l_2_key)))
                    yield ': '
                    yield str(environment.finalize(t_2(environment.getattr(l_1_identity, 'symbol'))))
                    yield '.?outputs.'
                    yield str(environment.finalize(t_2(l_2_key)))
                    yield " ?? ''\n"
                else:
                    pass
                    yield '    '
                    yield str(environment.finalize(t_2(l_2_key)))
                    yield ': '
                    yield str(environment.finalize(t_2(environment.getattr(l_1_identity, 'symbol'))))
                    yield '.outputs.'
                    yield str(environment.finalize(t_2(l_2_key)))
                    yield '\n'
            l_2_key = missing
            yield '  }\n'
        l_1_identity = missing
        yield '}\n\n'
    if (undefined(name='pins_issuer') if l_0_pins_issuer is missing else l_0_pins_issuer):
        pass
        yield 'output oidcIssuerUrl string = empty(oidcIssuerUrl) ? (cluster.properties.?oidcIssuerProfile.?issuerURL ?? fail('
        yield str(environment.finalize(t_1((undefined(name='issuer_off') if l_0_issuer_off is missing else l_0_issuer_off))))
        yield ')) : oidcIssuerUrl\n'
    else:
        pass
        yield 'output oidcIssuerUrl string = cluster.properties.?oidcIssuerProfile.?issuerURL ?? fail('
        yield str(environment.finalize(t_1((undefined(name='issuer_off') if l_0_issuer_off is missing else l_0_issuer_off))))
        yield ')\n'
    if (undefined(name='cluster_issuers') if l_0_cluster_issuers is missing else l_0_cluster_issuers):
        pass
        yield 'output clusterIssuers object = {\n'
        for (l_1_name, l_1_c) in (undefined(name='cluster_issuers') if l_0_cluster_issuers is missing else l_0_cluster_issuers):
            _loop_vars = {}
            pass
            if ((not t_6(environment.getattr(l_1_c, 'pinned'))) and environment.getattr(l_1_c, 'condition')):
                pass
                yield '  '
                yield str(environment.finalize(t_3(l_1_name)))
                yield ': '
                yield str(environment.finalize(t_2(environment.getattr(l_1_c, 'condition'))))
                yield ' ? '
                yield str(environment.finalize(t_4(environment.getattr(l_1_c, 'pinned'))))
                yield " : ''\n"
            elif (not t_6(environment.getattr(l_1_c, 'pinned'))):
                pass
                yield '  '
                yield str(environment.finalize(t_3(l_1_name)))
                yield ': '
                yield str(environment.finalize(t_4(environment.getattr(l_1_c, 'pinned'))))
                yield '\n'
            elif environment.getattr(l_1_c, 'condition'):
                pass
                yield '  '
                yield str(environment.finalize(t_3(l_1_name)))
                yield ': '
                yield str(environment.finalize(t_2(environment.getattr(l_1_c, 'condition'))))
                yield ' ? ('
                yield str(environment.finalize(t_2(environment.getattr(l_1_c, 'symbol'))))
                yield '.properties.?oidcIssuerProfile.?issuerURL ?? fail('
                yield str(environment.finalize(t_1(environment.getattr(l_1_c, 'issuer_off'))))
                yield ")) : ''\n"
            else:
                pass
                yield '  '
                yield str(environment.finalize(t_3(l_1_name)))
                yield ': '
                yield str(environment.finalize(t_2(environment.getattr(l_1_c, 'symbol'))))
                yield '.properties.?oidcIssuerProfile.?issuerURL ?? fail('
                yield str(environment.finalize(t_1(environment.getattr(l_1_c, 'issuer_off'))))
                yield ')\n'
        l_1_name = l_1_c = missing
        yield '}\n'

blocks = {}
debug_info = '4=59&5=63&6=65&9=75&14=77&15=81&16=85&17=87&21=92&25=95&26=97&45=99&46=104&47=114&50=116&51=119&53=124&55=126&56=129&57=132&58=138&59=141&60=145&61=148&63=159&66=166&67=170&70=176&72=179&78=183&80=186&81=190&82=192&83=195&84=198&86=207&94=217&95=220&97=225&99=227&101=230&102=233&103=236&104=242&105=245&106=249&107=252&109=263'