from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'bicep/identity.bicep.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_identity = resolve('identity')
    l_0_parameters = resolve('parameters')
    l_0_identity_type = resolve('identity_type')
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
        t_4 = environment.filters['bicep_ref']
    except KeyError:
        @internalcode
        def t_4(*unused):
            raise TemplateRuntimeError("No filter named 'bicep_ref' found.")
    try:
        t_5 = environment.filters['bicep_string']
    except KeyError:
        @internalcode
        def t_5(*unused):
            raise TemplateRuntimeError("No filter named 'bicep_string' found.")
    pass
    yield "targetScope = 'resourceGroup'\n\nparam location string\nparam issuer string\n"
    for l_1_name in environment.getattr((undefined(name='identity') if l_0_identity is missing else l_0_identity), 'issuers'):
        _loop_vars = {}
        pass
        yield 'param '
        yield str(environment.finalize(t_2(l_1_name)))
        yield ' string\n'
    l_1_name = missing
    for l_1_p in (undefined(name='parameters') if l_0_parameters is missing else l_0_parameters):
        _loop_vars = {}
        pass
        yield 'param '
        yield str(environment.finalize(t_2(environment.getattr(l_1_p, 'name'))))
        yield ' '
        yield str(environment.finalize(t_2(environment.getattr(l_1_p, 'type'))))
        yield '\n'
    l_1_p = missing
    yield '\nresource '
    yield str(environment.finalize(t_2(environment.getattr((undefined(name='identity') if l_0_identity is missing else l_0_identity), 'symbol'))))
    yield ' '
    yield str(environment.finalize(t_5((undefined(name='identity_type') if l_0_identity_type is missing else l_0_identity_type))))
    yield ' = {\n  name: '
    yield str(environment.finalize(t_5(environment.getattr((undefined(name='identity') if l_0_identity is missing else l_0_identity), 'name'))))
    yield '\n  location: location\n'
    if environment.getattr((undefined(name='identity') if l_0_identity is missing else l_0_identity), 'tags'):
        pass
        yield '  tags: {\n'
        for (l_1_name, l_1_value) in environment.getattr((undefined(name='identity') if l_0_identity is missing else l_0_identity), 'tags'):
            _loop_vars = {}
            pass
            yield '    '
            yield str(environment.finalize(t_3(l_1_name)))
            yield ': '
            yield str(environment.finalize(t_4(l_1_value)))
            yield '\n'
        l_1_name = l_1_value = missing
        yield '  }\n'
    yield '  properties: {}\n}\n\n'
    for l_1_fic in environment.getattr((undefined(name='identity') if l_0_identity is missing else l_0_identity), 'fics'):
        l_1_fic_type = resolve('fic_type')
        l_1_audience = resolve('audience')
        _loop_vars = {}
        pass
        yield 'resource '
        yield str(environment.finalize(t_2(environment.getattr(l_1_fic, 'symbol'))))
        yield ' '
        yield str(environment.finalize(t_5((undefined(name='fic_type') if l_1_fic_type is missing else l_1_fic_type))))
        yield ' = '
        if environment.getattr(l_1_fic, 'condition'):
            pass
            yield 'if ('
            yield str(environment.finalize(t_2(environment.getattr(l_1_fic, 'condition'))))
            yield ') '
        yield '{\n  parent: '
        yield str(environment.finalize(t_2(environment.getattr((undefined(name='identity') if l_0_identity is missing else l_0_identity), 'symbol'))))
        yield '\n  name: '
        yield str(environment.finalize(t_5(environment.getattr(l_1_fic, 'name'))))
        yield '\n  properties: {\n    issuer: '
        yield str(environment.finalize(t_2(environment.getattr(l_1_fic, 'issuer'))))
        yield '\n    subject: '
        yield str(environment.finalize(t_5(environment.getattr(l_1_fic, 'subject'))))
        yield '\n    audiences: [\n      '
        yield str(environment.finalize(t_5((undefined(name='audience') if l_1_audience is missing else l_1_audience))))
        yield '\n    ]\n  }\n'
        if environment.getattr(l_1_fic, 'depends_on'):
            pass
            yield '  dependsOn: [\n'
            for l_2_symbol in environment.getattr(l_1_fic, 'depends_on'):
                _loop_vars = {}
                pass
                yield '    '
                yield str(environment.finalize(t_2(l_2_symbol)))
                yield '\n'
            l_2_symbol = missing
            yield '  ]\n'
        yield '}\n\n'
    l_1_fic = l_1_fic_type = l_1_audience = missing
    l_1_loop = missing
    for l_1_module, l_1_loop in LoopContext(environment.getattr((undefined(name='identity') if l_0_identity is missing else l_0_identity), 'role_modules'), undefined):
        _loop_vars = {}
        pass
        yield 'module '
        yield str(environment.finalize(t_2(environment.getattr(l_1_module, 'symbol'))))
        yield ' '
        yield str(environment.finalize(t_5(environment.getattr(l_1_module, 'path'))))
        yield ' = {\n  name: '
        yield str(environment.finalize(t_1(environment.getattr(l_1_module, 'name'))))
        yield '\n  scope: '
        yield str(environment.finalize(t_2(environment.getattr(environment.getattr(l_1_module, 'scope'), 'function'))))
        yield '('
        l_2_loop = missing
        for l_2_arg, l_2_loop in LoopContext(environment.getattr(environment.getattr(l_1_module, 'scope'), 'args'), undefined):
            _loop_vars = {}
            pass
            yield str(environment.finalize(t_4(l_2_arg)))
            if (not environment.getattr(l_2_loop, 'last')):
                pass
                yield ', '
        l_2_loop = l_2_arg = missing
        yield ')\n  params: {\n    principalId: '
        yield str(environment.finalize(t_2(environment.getattr((undefined(name='identity') if l_0_identity is missing else l_0_identity), 'symbol'))))
        yield '.properties.principalId\n'
        for l_2_name in environment.getattr(l_1_module, 'parameters'):
            _loop_vars = {}
            pass
            yield '    '
            yield str(environment.finalize(t_2(l_2_name)))
            yield ': '
            yield str(environment.finalize(t_2(l_2_name)))
            yield '\n'
        l_2_name = missing
        yield '  }\n}\n\n'
    l_1_loop = l_1_module = missing
    for l_1_binding in environment.getattr((undefined(name='identity') if l_0_identity is missing else l_0_identity), 'bindings'):
        l_1_binding_module = resolve('binding_module')
        _loop_vars = {}
        pass
        yield "// An AKS identity binding: AKS makes the identity's one credential (aks-identity-binding) itself.\nmodule "
        yield str(environment.finalize(t_2(environment.getattr(l_1_binding, 'symbol'))))
        yield ' '
        yield str(environment.finalize(t_5((undefined(name='binding_module') if l_1_binding_module is missing else l_1_binding_module))))
        yield ' = '
        if environment.getattr(l_1_binding, 'condition'):
            pass
            yield 'if ('
            yield str(environment.finalize(t_2(environment.getattr(l_1_binding, 'condition'))))
            yield ') '
        yield '{\n  name: '
        yield str(environment.finalize(t_5(environment.getattr(l_1_binding, 'deployment'))))
        yield '\n  scope: resourceGroup('
        yield str(environment.finalize(t_4(environment.getattr(l_1_binding, 'subscription'))))
        yield ', '
        yield str(environment.finalize(t_4(environment.getattr(l_1_binding, 'resource_group'))))
        yield ')\n  params: {\n    clusterName: '
        yield str(environment.finalize(t_4(environment.getattr(l_1_binding, 'cluster'))))
        yield '\n    bindingName: '
        yield str(environment.finalize(t_5(environment.getattr(l_1_binding, 'name'))))
        yield '\n    identityId: '
        yield str(environment.finalize(t_2(environment.getattr((undefined(name='identity') if l_0_identity is missing else l_0_identity), 'symbol'))))
        yield '.id\n  }\n}\n\n'
    l_1_binding = l_1_binding_module = missing
    yield 'output clientId string = '
    yield str(environment.finalize(t_2(environment.getattr((undefined(name='identity') if l_0_identity is missing else l_0_identity), 'symbol'))))
    yield '.properties.clientId\noutput principalId string = '
    yield str(environment.finalize(t_2(environment.getattr((undefined(name='identity') if l_0_identity is missing else l_0_identity), 'symbol'))))
    yield '.properties.principalId\noutput tenantId string = '
    yield str(environment.finalize(t_2(environment.getattr((undefined(name='identity') if l_0_identity is missing else l_0_identity), 'symbol'))))
    yield '.properties.tenantId\n'

blocks = {}
debug_info = '6=45&7=49&9=52&10=56&13=62&14=66&16=68&18=71&19=75&26=82&27=88&28=98&29=100&31=102&32=104&34=106&37=108&39=111&40=115&47=122&48=126&49=130&50=132&52=144&53=146&54=150&60=157&62=162&63=172&64=174&66=178&67=180&68=182&73=186&74=188&75=190'