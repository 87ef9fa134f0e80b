from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'bicep/role-assignments.bicep.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_target_scope = resolve('target_scope')
    l_0_principal_param = resolve('principal_param')
    l_0_parameters = resolve('parameters')
    l_0_targets = resolve('targets')
    l_0_assignments = resolve('assignments')
    try:
        t_1 = environment.filters['bicep_ident']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'bicep_ident' found.")
    try:
        t_2 = environment.filters['bicep_ref']
    except KeyError:
        @internalcode
        def t_2(*unused):
            raise TemplateRuntimeError("No filter named 'bicep_ref' found.")
    try:
        t_3 = environment.filters['bicep_string']
    except KeyError:
        @internalcode
        def t_3(*unused):
            raise TemplateRuntimeError("No filter named 'bicep_string' found.")
    try:
        t_4 = environment.tests['none']
    except KeyError:
        @internalcode
        def t_4(*unused):
            raise TemplateRuntimeError("No test named 'none' found.")
    pass
    yield 'targetScope = '
    yield str(environment.finalize(t_3((undefined(name='target_scope') if l_0_target_scope is missing else l_0_target_scope))))
    yield '\n\nparam '
    yield str(environment.finalize(t_1((undefined(name='principal_param') if l_0_principal_param is missing else l_0_principal_param))))
    yield ' string\n'
    for l_1_name in (undefined(name='parameters') if l_0_parameters is missing else l_0_parameters):
        _loop_vars = {}
        pass
        yield 'param '
        yield str(environment.finalize(t_1(l_1_name)))
        yield ' string\n'
    l_1_name = missing
    yield '\n'
    for l_1_target in (undefined(name='targets') if l_0_targets is missing else l_0_targets):
        _loop_vars = {}
        pass
        yield 'resource '
        yield str(environment.finalize(t_1(environment.getattr(l_1_target, 'symbol'))))
        yield ' '
        yield str(environment.finalize(t_3(environment.getattr(l_1_target, 'type_api'))))
        yield ' existing = {\n  name: '
        yield str(environment.finalize(t_2(environment.getattr(l_1_target, 'name'))))
        yield '\n}\n\n'
    l_1_target = missing
    for l_1_a in (undefined(name='assignments') if l_0_assignments is missing else l_0_assignments):
        l_1_role_type = resolve('role_type')
        _loop_vars = {}
        pass
        yield 'resource '
        yield str(environment.finalize(t_1(environment.getattr(l_1_a, 'symbol'))))
        yield ' '
        yield str(environment.finalize(t_3((undefined(name='role_type') if l_1_role_type is missing else l_1_role_type))))
        yield ' = {\n'
        if (not t_4(environment.getattr(l_1_a, 'target'))):
            pass
            yield '  name: guid('
            yield str(environment.finalize(t_1(environment.getattr(l_1_a, 'target'))))
            yield '.id, '
            yield str(environment.finalize(t_1((undefined(name='principal_param') if l_0_principal_param is missing else l_0_principal_param))))
            yield ", subscriptionResourceId('Microsoft.Authorization/roleDefinitions', "
            yield str(environment.finalize(t_3(environment.getattr(l_1_a, 'role_id'))))
            yield '))\n  scope: '
            yield str(environment.finalize(t_1(environment.getattr(l_1_a, 'target'))))
            yield '\n'
        elif (environment.getattr(l_1_a, 'kind') == 'subscription'):
            pass
            yield '  name: guid(subscription().id, '
            yield str(environment.finalize(t_1((undefined(name='principal_param') if l_0_principal_param is missing else l_0_principal_param))))
            yield ", subscriptionResourceId('Microsoft.Authorization/roleDefinitions', "
            yield str(environment.finalize(t_3(environment.getattr(l_1_a, 'role_id'))))
            yield '))\n'
        else:
            pass
            yield '  name: guid(resourceGroup().id, '
            yield str(environment.finalize(t_1((undefined(name='principal_param') if l_0_principal_param is missing else l_0_principal_param))))
            yield ", subscriptionResourceId('Microsoft.Authorization/roleDefinitions', "
            yield str(environment.finalize(t_3(environment.getattr(l_1_a, 'role_id'))))
            yield '))\n'
        yield "  properties: {\n    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', "
        yield str(environment.finalize(t_3(environment.getattr(l_1_a, 'role_id'))))
        yield ')\n    principalId: '
        yield str(environment.finalize(t_1((undefined(name='principal_param') if l_0_principal_param is missing else l_0_principal_param))))
        yield "\n    principalType: 'ServicePrincipal'\n"
        if (not t_4(environment.getattr(l_1_a, 'description'))):
            pass
            yield '    description: '
            yield str(environment.finalize(t_3(environment.getattr(l_1_a, 'description'))))
            yield '\n'
        yield '  }\n}\n\n'
    l_1_a = l_1_role_type = missing

blocks = {}
debug_info = '2=41&4=43&5=45&6=49&9=53&10=57&11=61&15=64&16=69&17=73&18=76&19=82&20=84&21=87&23=94&26=99&27=101&29=103&30=106'