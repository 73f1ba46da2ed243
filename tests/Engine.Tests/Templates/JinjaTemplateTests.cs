using WebUI.Engine.Generation;

namespace WebUI.Engine.Tests.Templates;

/// <summary>
/// The Jinja subset, through small templates over a fixed conversation. Expected outputs are Python Jinja2 3.1's
/// with Hugging Face's settings (trim_blocks, lstrip_blocks, loopcontrols, json.dumps for tojson).
/// </summary>
public sealed class JinjaTemplateTests
{
    private static readonly ChatMessage[] Conversation = [new("system", "S"), new("user", "Hi"), new("assistant", "Yo"), new("user", "Bye")];

    private static string Render(string source, bool addGenerationPrompt = false) =>
        ChatTemplate.FromJinja("test", source, "<s>", "</s>").Render(Conversation, addGenerationPrompt);

    [Fact]
    public void Trim_blocks_and_lstrip_blocks_remove_the_lines_block_tags_sit_on()
    {
        const string source = """
            <ul>
                {% for message in messages %}
                <li>{{ message.role }}: {{ message.content }}</li>
                {% endfor %}
            </ul>

            """;

        // The final newline of the source is dropped too, as Jinja does without keep_trailing_newline.
        Assert.Equal("<ul>\n    <li>system: S</li>\n    <li>user: Hi</li>\n    <li>assistant: Yo</li>\n    <li>user: Bye</li>\n</ul>", Render(source));
    }

    [Fact]
    public void Minus_strips_all_whitespace_on_its_side_and_plus_keeps_it()
    {
        Assert.Equal("[system][user][assistant][user]end", Render("{% for message in messages -%}\n  [{{ message.role }}]\n{%- endfor %}\n  {#- note #}\nend"));
        Assert.Equal("A B\nC", Render("A {%+ if true %}\nB\n{%- endif +%}\nC"));
    }

    [Fact]
    public void Namespace_attributes_set_inside_a_loop_survive_it_while_plain_sets_do_not()
    {
        Assert.Equal("S/3", Render("{% set ns = namespace(system=none, turns=0) %}{% for m in messages %}{% if m.role == 'system' %}{% set ns.system = m.content %}{% else %}{% set ns.turns = ns.turns + 1 %}{% endif %}{% endfor %}{{ ns.system }}/{{ ns.turns }}"));
        Assert.Equal("0", Render("{% set n = 0 %}{% for m in messages %}{% set n = n + 1 %}{% endfor %}{{ n }}"));
    }

    [Fact]
    public void Loop_variables_count_and_mark_the_first_and_last_item()
    {
        Assert.Equal("S, Hi, Yo, Bye.", Render("{% for m in messages %}{{ m.content }}{% if not loop.last %}, {% else %}.{% endif %}{% endfor %}"));
        Assert.Equal("014F 124 234 344L ", Render("{% for m in messages %}{{ loop.index0 }}{{ loop.index }}{{ loop.length }}{{ 'F' if loop.first }}{{ 'L' if loop.last }} {% endfor %}"));
    }

    [Fact]
    public void For_filters_items_and_else_runs_when_nothing_is_left()
    {
        Assert.Equal("1:Hi 2:Bye ", Render("{% for m in messages if m.role == 'user' %}{{ loop.index }}:{{ m.content }} {% endfor %}"));
        Assert.Equal("none", Render("{% for m in messages if m.role == 'tool' %}x{% else %}none{% endfor %}"));
    }

    [Fact]
    public void Undefined_values_print_nothing_are_false_and_iterate_as_empty()
    {
        Assert.Equal("[]Falseyempty", Render("{{ nothing }}[{{ nothing.deeper }}]{{ nothing is defined }}{{ 'x' if nothing else 'y' }}{% for x in nothing %}!{% else %}empty{% endfor %}"));
    }

    [Fact]
    public void Attribute_subscript_and_slice_access()
    {
        Assert.Equal("user+assistant+user BYE S! True", Render("{{ messages[1:]|map(attribute='role')|join('+') }} {{ messages[-1]['content']|upper }} {{ messages[0].content ~ '!' }} {{ messages|length > 3 }}"));
        Assert.Equal("2userellYoBye", Render("{{ messages[1:3]|length }}{{ messages[::-1][0].role }}{{ 'hello'[1:-1] }}{{ messages[-2:]|map(attribute='content')|join }}"));
    }

    [Fact]
    public void String_and_dict_methods_behave_as_in_python()
    {
        Assert.Equal("a|True|['a', 'b']|X|hello world|a_b|Hi There|x|x|True",
            Render("{{ '  a  '.strip() }}|{{ 'abc'.startswith('ab') }}|{{ 'a,b'.split(',') }}|{{ 'x'.upper() }}|{{ 'Hello World'.lower() }}|{{ 'a-b'.replace('-', '_') }}|{{ 'hi there'.title() }}|{{ ' x'.lstrip() }}|{{ 'x '.rstrip() }}|{{ 'abc'.endswith('bc') }}"));
        Assert.Equal("user none role=user n=2 ['role', 'n']",
            Render("{% set d = {'role': 'user', 'n': 2} %}{{ d.get('role') }} {{ d.get('x', 'none') }} {% for k, v in d.items() %}{{ k }}={{ v }} {% endfor %}{{ d.keys()|list }}"));
    }

    [Fact]
    public void Filters()
    {
        Assert.Equal("|d|m|t|AA|ab|Hello|a!b|12|2",
            Render("{{ ''|default('d') }}|{{ ''|default('d', true) }}|{{ missing|default('m') }}|{{ '  t  '|trim }}|{{ 'aA'|upper }}|{{ 'Ab'|lower }}|{{ 'hello'|capitalize }}|{{ 'a.b'|replace('.', '!') }}|{{ 12|string }}|{{ [1,2]|length }}"));
        Assert.Equal("""[1, 2, 3] {"a": "é", "b": null, "c": true} "say \"hi\"" """.TrimEnd(),
            Render("""{{ [1, 2, 3]|tojson }} {{ {'a': 'é', 'b': none, 'c': true}|tojson }} {{ 'say "hi"'|tojson }}"""));
    }

    [Fact]
    public void Arithmetic_follows_python()
    {
        Assert.Equal("3 1 3.5 7 -4 abab 12 3", Render("{{ 7 // 2 }} {{ 7 % 3 }} {{ 7 / 2 }} {{ 2 * 3 + 1 }} {{ -7 // 2 }} {{ 'ab' * 2 }} {{ 1 ~ 2 }} {{ 10 - 4 - 3 }}"));
    }

    [Fact]
    public void Comparisons_membership_logic_and_tests()
    {
        Assert.Equal("True True False True True True", Render("{{ 'b' in 'abc' }} {{ 'user' in ['user'] }} {{ 'x' not in {'x': 1} }} {{ not false and (true or false) }} {{ 1 < 2 }} {{ 'a' != 'b' }}"));
        Assert.Equal("True True False True True True True", Render("{{ none is none }} {{ 'a' is string }} {{ 1 is string }} {{ 3 is number }} {{ x is not defined }} {{ messages is iterable }} {{ {} is mapping }}"));
        Assert.Equal("ab", Render("{{ 'a' if add_generation_prompt else 'b' }}", addGenerationPrompt: true) + Render("{{ 'a' if add_generation_prompt else 'b' }}"));
    }

    [Fact]
    public void Macros_break_and_continue()
    {
        Assert.Equal("<u>hi<a>-<s>t", Render("{% macro turn(role, text='-') %}<{{ role }}>{{ text }}{% endmacro %}{{ turn('u', 'hi') }}{{ turn('a') }}{{ turn(text='t', role='s') }}"));
        Assert.Equal("13", Render("{% for i in [1,2,3,4] %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 4 %}{% break %}{% endif %}{{ i }}{% endfor %}"));
    }

    [Fact]
    public void Bos_and_eos_tokens_and_strftime_now_are_available()
    {
        Assert.Equal("<s>x</s>", Render("{{ bos_token }}x{{ eos_token }}"));
        Assert.Equal(DateTime.Now.ToString("yyyy"), Render("{{ strftime_now('%Y') }}"));
    }

    [Fact]
    public void Raise_exception_throws_with_the_templates_message()
    {
        var e = Assert.Throws<TemplateException>(() => Render("{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"));

        Assert.Contains("System role not supported", e.Message);
        Assert.Contains("'test'", e.Message);
    }

    [Theory]
    [InlineData("{% if true %}\nno end", 2, 7, "unexpected end of template, expected 'elif' or 'else' or 'endif'")]
    [InlineData("ok\n  {{ messages[0] }\n", 2, 18, "unexpected '}'")]
    [InlineData("{% for m in messages %}{% endif %}", 1, 27, "unknown or misplaced statement 'endif'")]
    [InlineData("line one\n{{ 'unclosed }}", 2, 4, "string is not closed")]
    [InlineData("{% break %}", 1, 4, "'break' outside a for loop")]
    [InlineData("{{ a b }}", 1, 6, "expected '}}', got 'b'")]
    public void Syntax_errors_name_the_template_line_and_column(string source, int line, int column, string problem)
    {
        var e = Assert.Throws<TemplateException>(() => ChatTemplate.FromJinja("my-template", source, null, null));

        Assert.Equal($"chat template 'my-template', line {line}, column {column}: {problem}", e.Message);
    }
}
