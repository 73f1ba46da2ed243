using System.Diagnostics;
using System.Text;
using WebUI.Engine.Generation;

namespace WebUI.Engine.Tests.Templates;

/// <summary>
/// Hostile templates fail fast with a <see cref="TemplateException"/> naming the limit they hit, without allocating
/// what they ask for or overflowing the stack. Each one here finishes in well under a second.
/// </summary>
public sealed class TemplateLimitsTests
{
    private static readonly ChatMessage[] Conversation = [new("user", "Hi")];

    private static string Render(string source, TemplateLimits? limits = null, CancellationToken cancel = default) =>
        ChatTemplate.FromJinja("hostile", source, "<s>", "</s>", limits).Render(Conversation, addGenerationPrompt: false, cancel);

    private static string Failure(string source, TemplateLimits? limits = null) =>
        Assert.Throws<TemplateException>(() => Render(source, limits)).Message;

    /// <summary>Runs <paramref name="action"/> and asserts it allocated less than 16 MB on this thread.</summary>
    private static T WithinMemory<T>(Func<T> action)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var result = action();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 16 << 20, $"allocated {allocated} bytes");
        return result;
    }

    [Theory]
    [InlineData("{{ 'a' * 1000000000 }}", "a string would be over the limit of 1000000 characters")]
    [InlineData("{{ 9223372036854775807 * 'ab' }}", "a string would be over the limit of 1000000 characters")]
    [InlineData("{% set s = 'a' * 600000 %}{{ s + s }}", "a string would be over the limit of 1000000 characters")]
    [InlineData("{% set s = 'a' * 600000 %}{{ s ~ s }}", "a string would be over the limit of 1000000 characters")]
    [InlineData("{{ ('a' * 1001)|replace('a', 'a' * 1000) }}", "a string would be over the limit of 1000000 characters")]
    [InlineData("{{ [1] * 1000000000 }}", "a list would be over the limit of 1000000 items")]
    [InlineData("{% for i in range(100000000) %}{% endfor %}", "a list would be over the limit of 1000000 items")]
    [InlineData("{{ range(-9223372036854775807, 9223372036854775807, 3) }}", "a list would be over the limit of 1000000 items")]
    public void Strings_and_lists_over_the_limit_fail_before_they_are_built(string source, string message) =>
        Assert.Contains(message, WithinMemory(() => Failure(source)));

    [Theory]
    [InlineData("{% set s = 'a' * 1000 %}{{ ([s] * 1000)|join }}")]
    [InlineData("{% set s = 'a' * 1000 %}{{ [s] * 1000 }}")]
    [InlineData("{% set s = 'a' * 1000 %}{{ ([s] * 1000)|tojson }}")]
    [InlineData("{% set s = 'a' * 1000 %}{{ ([s] * 1000)|string }}")]
    [InlineData("{{ [1]|tojson(indent=1000000000) }}")]
    [InlineData("{{ ('a\\n' * 1000)|indent(1000) }}")]
    public void Text_made_from_many_pieces_is_checked_as_it_grows(string source) =>
        Assert.Contains("a string would be over the limit of 100000 characters", WithinMemory(() => Failure(source, new TemplateLimits { MaxStringChars = 100_000 })));

    [Fact]
    public void Output_over_the_limit_fails_and_a_set_block_counts_too()
    {
        Assert.Contains("the output is over the limit of 1000000 characters", Failure("{% for i in range(2000) %}{{ 'a' * 1000 }}{% endfor %}"));
        Assert.Contains("the output is over the limit of 10 characters",
            Failure("{% set captured %}{{ 'a' * 11 }}{% endset %}", new TemplateLimits { MaxOutputChars = 10 }));
        Assert.Equal(new string('a', 10), Render("{{ 'a' * 10 }}", new TemplateLimits { MaxOutputChars = 10 }));
    }

    [Fact]
    public void Loop_iterations_are_counted_across_all_loops_of_a_render()
    {
        var limits = new TemplateLimits { MaxLoopIterations = 1000 };
        const string thousand = "{% for i in range(10) %}{% for j in range(99) %}.{% endfor %}{% endfor %}";
        Assert.Equal(990, Render(thousand, limits).Length);
        Assert.Contains("loops ran more than the limit of 1000 iterations", Failure(thousand + "{% for k in range(1) %}{% endfor %}", limits));
    }

    [Fact]
    public void Deeply_nested_blocks_fail_to_parse_with_the_position_not_a_stack_overflow()
    {
        string ifs = string.Concat(Enumerable.Repeat("{% if true %}", 8000)) + "x" + string.Concat(Enumerable.Repeat("{% endif %}", 8000));
        string message = Failure(ifs);
        Assert.Contains("line 1, column", message);
        Assert.Contains("nest deeper than the limit of 500", message);

        string nested = string.Concat(Enumerable.Repeat("{% if true %}", 400)) + "x" + string.Concat(Enumerable.Repeat("{% endif %}", 400));
        Assert.Equal("x", Render(nested));
    }

    [Theory]
    [InlineData('(', ')')]
    [InlineData('[', ']')]
    public void Deeply_nested_expressions_fail_to_parse_not_overflow_the_stack(char open, char close)
    {
        Assert.Contains("nest deeper than the limit of 500", Failure("{{ " + new string(open, 100_000) + "1" + new string(close, 100_000) + " }}"));
        Assert.Contains("nest deeper than the limit of 500", Failure("{{ " + string.Concat(Enumerable.Repeat("not ", 100_000)) + "1 }}"));
        Assert.Contains("nest deeper than the limit of 500", Failure("{{ " + new string('-', 100_000) + "1 }}"));
        Assert.Equal("1", Render("{{ ((((((((((1)))))))))) }}"));
    }

    [Fact]
    public void A_long_operator_chain_parses_flat_but_fails_to_render_past_the_depth_limit()
    {
        string chain = "{{ 1" + string.Concat(Enumerable.Repeat(" + 1", 100_000)) + " }}";
        Assert.Contains("nest deeper than the limit of 500", Failure(chain));
        Assert.Equal("100", Render("{{ 1" + string.Concat(Enumerable.Repeat(" + 1", 99)) + " }}"));
    }

    [Fact]
    public void Values_nested_by_a_loop_fail_to_print_or_compare_instead_of_overflowing_the_stack()
    {
        const string build = "{% set ns = namespace(x=[]) %}{% for i in range(100000) %}{% set ns.x = [ns.x] %}{% endfor %}";
        Assert.Contains("nest deeper than the limit of 500", Failure(build + "{{ ns.x }}"));
        Assert.Contains("nest deeper than the limit of 500", Failure(build + "{{ ns.x|tojson }}"));
        Assert.Contains("values nest too deeply", Failure(build + "{{ ns.x == [ns.x] }}"));
    }

    [Fact]
    public void A_render_that_runs_past_its_time_fails_and_a_cancelled_one_stops()
    {
        var clock = Stopwatch.StartNew();
        string message = Failure("{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}",
            new TemplateLimits { MaxRenderTime = TimeSpan.FromMilliseconds(20) });
        Assert.Contains("rendering took longer than the limit of 0.02 s", message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed}");

        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => Render("{% for i in range(10) %}{% endfor %}", cancel: cancel.Token));
    }

    [Fact]
    public void Limits_must_be_positive()
    {
        Assert.Equal("MaxDepth", Assert.Throws<ArgumentException>(() => Render("x", new TemplateLimits { MaxDepth = 0 })).ParamName);
        Assert.Equal("MaxRenderTime", Assert.Throws<ArgumentException>(() => new TemplateLimits { MaxRenderTime = TimeSpan.Zero }.Validate()).ParamName);
        Assert.Same(TemplateLimits.Default, TemplateLimits.Default.Validate());
    }
}
