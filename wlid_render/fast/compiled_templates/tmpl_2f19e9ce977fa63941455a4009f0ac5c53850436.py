from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'bicep/identity-binding.bicep.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_cluster_type = resolve('cluster_type')
    l_0_binding_type = resolve('binding_type')
    try:
        t_1 = environment.filters['bicep_string']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'bicep_string' found.")
    pass
    yield "targetScope = 'resourceGroup'\n\nparam clusterName string\nparam bindingName string\nparam identityId string\n\nresource cluster "
    yield str(environment.finalize(t_1((undefined(name='cluster_type') if l_0_cluster_type is missing else l_0_cluster_type))))
    yield ' existing = {\n  name: clusterName\n}\n\nresource binding '
    yield str(environment.finalize(t_1((undefined(name='binding_type') if l_0_binding_type is missing else l_0_binding_type))))
    yield ' = {\n  parent: cluster\n  name: bindingName\n  properties: {\n    managedIdentity: {\n      resourceId: identityId\n    }\n  }\n}\n'

blocks = {}
debug_info = '8=20&12=22'