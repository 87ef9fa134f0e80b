from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'bicep/params.bicepparam.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_main = resolve('main')
    l_0_values = resolve('values')
    try:
        t_1 = environment.filters['bicep_ident']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'bicep_ident' found.")
    try:
        t_2 = environment.filters['bicep_string']
    except KeyError:
        @internalcode
        def t_2(*unused):
            raise TemplateRuntimeError("No filter named 'bicep_string' found.")
    try:
        t_3 = environment.filters['bicep_value']
    except KeyError:
        @internalcode
        def t_3(*unused):
            raise TemplateRuntimeError("No filter named 'bicep_value' found.")
    pass
    yield 'using '
    yield str(environment.finalize(t_2((undefined(name='main') if l_0_main is missing else l_0_main))))
    yield '\n\n'
    for (l_1_name, l_1_value) in (undefined(name='values') if l_0_values is missing else l_0_values):
        _loop_vars = {}
        pass
        yield 'param '
        yield str(environment.finalize(t_1(l_1_name)))
        yield ' = '
        yield str(environment.finalize(t_3(l_1_value)))
        yield '\n'
    l_1_name = l_1_value = missing

blocks = {}
debug_info = '2=32&4=34&5=38'