using WebUI.Engine.Generation;

namespace WebUI.Engine.Tests.Templates;

/// <summary>Filters added for tool-calling templates; expected outputs follow Python Jinja2 3.1.</summary>
public sealed class JinjaFilterTests
{
    private static string Render(string source) => ChatTemplate.FromJinja("test", source, "<s>", "</s>").Render([new("user", "Hi")], false);

    private const string Pairs = "{% for k, v in d|dictsort%s %}{{ k }}={{ v }};{% endfor %}";

    private static string DictSort(string dict, string arguments) => Render("{% set d = " + dict + " %}" + Pairs.Replace("%s", arguments));

    [Theory]
    [InlineData("{'b': 1, 'C': 3, 'a': 2}", "", "a=2;b=1;C=3;")]
    [InlineData("{'b': 1, 'C': 3, 'a': 2}", "(case_sensitive=true)", "C=3;a=2;b=1;")]
    [InlineData("{'b': 1, 'C': 3, 'a': 2}", "(true)", "C=3;a=2;b=1;")]
    [InlineData("{'b': 1, 'C': 3, 'a': 2}", "(reverse=true)", "C=3;b=1;a=2;")]
    [InlineData("{'x': 'b', 'y': 'A', 'z': 'c'}", "(by='value')", "y=A;x=b;z=c;")]
    [InlineData("{'x': 'b', 'y': 'A', 'z': 'c'}", "(true, 'value')", "y=A;x=b;z=c;")]
    [InlineData("{'x': 'b', 'y': 'a', 'z': 'B'}", "(by='value')", "y=a;x=b;z=B;")]
    [InlineData("{'a': 2, 'b': 3, 'c': 1}", "(by='value', reverse=true)", "b=3;a=2;c=1;")]
    // Python's sorted keeps equal items in their order, also with reverse=True.
    [InlineData("{'a': 1, 'b': 1, 'c': 0}", "(by='value', reverse=true)", "a=1;b=1;c=0;")]
    [InlineData("{}", "", "")]
    public void Dictsort_sorts_pairs_by_key_or_value_ignoring_case_unless_asked(string dict, string arguments, string expected) =>
        Assert.Equal(expected, DictSort(dict, arguments));

    [Fact]
    public void Dictsort_refuses_other_sort_orders_and_non_dicts()
    {
        Assert.Contains("only sort by either 'key' or 'value'", Assert.Throws<TemplateException>(() => DictSort("{'a': 1}", "(by='size')")).Message);
        Assert.Contains("filter 'dictsort' does not apply to list", Assert.Throws<TemplateException>(() => Render("{{ [1]|dictsort }}")).Message);
    }

    [Theory]
    [InlineData("{{ 'a\\nb\\n\\nc'|indent(2) }}", "a\n  b\n\n  c")]
    [InlineData("{{ 'a\\nb\\n\\nc'|indent(2, true) }}", "  a\n  b\n\n  c")]
    [InlineData("{{ 'a\\nb\\n\\nc'|indent(2, blank=true) }}", "a\n  b\n  \n  c")]
    [InlineData("{{ 'a\\nb'|indent }}", "a\n    b")]
    [InlineData("{{ 'a\\nb'|indent('> ') }}", "a\n> b")]
    [InlineData("{{ 'a\\n'|indent(2) }}", "a\n")]
    public void Indent_prefixes_lines_after_the_first(string source, string expected) => Assert.Equal(expected, Render(source));

    [Theory]
    [InlineData("{{ [0, 1, '', 'x', none]|select|list }}", "[1, 'x']")]
    [InlineData("{{ [1, 2, 3, 4]|select('odd')|list }}", "[1, 3]")]
    [InlineData("{{ [1, 2, 3, 4]|reject('odd')|list }}", "[2, 4]")]
    [InlineData("{{ [1, 2, 3, 4]|select('divisibleby', 2)|list }}", "[2, 4]")]
    [InlineData("{{ ['a', none]|reject('none')|list }}", "['a']")]
    public void Select_and_reject_keep_items_by_a_test(string source, string expected) => Assert.Equal(expected, Render(source));

    [Theory]
    [InlineData("{{ 'abc'|replace('', '-') }}", "-a-b-c-")]
    [InlineData("{{ 'abc'.replace('', '-', 2) }}", "-a-bc")]
    [InlineData("{{ 'aaa'|replace('a', 'bb', 2) }}", "bbbba")]
    [InlineData("{{ 'a.b.c'.replace('.', '') }}", "abc")]
    public void Replace_follows_python_also_for_an_empty_old_string_and_a_count(string source, string expected) =>
        Assert.Equal(expected, Render(source));
}
