using WebUI.Engine.Generation;

namespace WebUI.Engine.Tests.Generation;

public sealed class StopStringMatcherTests
{
    [Fact]
    public void Stop_string_split_across_pieces_stops_and_emits_none_of_it()
    {
        var matcher = new StopStringMatcher(["###"]);

        StopScan first = matcher.Push("Answer: 42 #");
        StopScan second = matcher.Push("##");

        Assert.Equal(new StopScan("Answer: 42 ", false), first);
        Assert.Equal(new StopScan("", true), second);
        Assert.Equal("", matcher.Flush());
    }

    [Fact]
    public void Text_after_the_stop_string_in_the_same_piece_is_dropped()
    {
        var matcher = new StopStringMatcher(["\nUser:"]);

        Assert.Equal(new StopScan("Sure.", true), matcher.Push("Sure.\nUser: and more"));
    }

    [Fact]
    public void Text_that_starts_like_a_stop_string_but_diverges_is_emitted_in_full()
    {
        var matcher = new StopStringMatcher(["###"]);

        string emitted = matcher.Push("C# #").Emit + matcher.Push("#").Emit + matcher.Push("x").Emit + matcher.Flush();

        Assert.Equal("C# ##x", emitted);
    }

    [Fact]
    public void Held_back_tail_is_returned_by_flush()
    {
        var matcher = new StopStringMatcher(["<end>"]);

        Assert.Equal(new StopScan("done ", false), matcher.Push("done <e"));
        Assert.Equal("<e", matcher.Flush());
    }

    [Fact]
    public void Earliest_of_several_stop_strings_wins()
    {
        var matcher = new StopStringMatcher(["END", "\n\n"]);

        Assert.Equal(new StopScan("a", true), matcher.Push("a\n\nb END"));
    }

    [Fact]
    public void Without_stop_strings_everything_passes_straight_through()
    {
        var matcher = new StopStringMatcher([]);

        Assert.Equal(new StopScan("# anything ###", false), matcher.Push("# anything ###"));
    }
}
