using WebUI.Engine.Generation;

namespace WebUI.Engine.Tests.Templates;

/// <summary>Which rendered text a chat fine-tune trains on, and where an assistant turn ends.</summary>
public sealed class TemplateSegmentsTests
{
    private static readonly ChatMessage[] Conversation =
    [
        new("system", "Answer in one word."),
        new("user", "Capital of France?"),
        new("assistant", "Paris."),
        new("user", "And of Italy?"),
        new("assistant", "Rome."),
    ];

    private static ChatTemplate BuiltIn(string name) => ChatTemplate.BuiltIn.Single(t => t.Name == name);

    public static TheoryData<string> BuiltInNames => [.. ChatTemplate.BuiltIn.Select(t => t.Name)];

    [Theory]
    [MemberData(nameof(BuiltInNames))]
    public void Segments_concatenate_to_the_render_and_train_only_on_assistant_turns(string name)
    {
        var template = BuiltIn(name);

        var segments = template.Segments(Conversation);

        Assert.Equal(template.Render(Conversation, addGenerationPrompt: false), string.Concat(segments.Select(s => s.Text)));
        var trainable = segments.Where(s => s.Trainable).Select(s => s.Text).ToList();
        Assert.Equal(2, trainable.Count);
        Assert.StartsWith("Paris.", trainable[0]);
        Assert.StartsWith("Rome.", trainable[1]);
        foreach (var context in new[] { "Answer in one word.", "Capital of France?", "And of Italy?" })
            Assert.DoesNotContain(trainable, t => t.Contains(context));
    }

    [Theory]
    [InlineData("None (plain text)", "")]
    [InlineData("ChatML", "<|im_end|>\n")]
    [InlineData("Llama-2", " </s>")]
    [InlineData("Llama-3", "<|eot_id|>")]
    [InlineData("Mistral", "</s>")]
    [InlineData("Zephyr", "</s>\n")]
    [InlineData("Alpaca", "</s>\n\n")]
    [InlineData("Vicuna", "</s>")]
    public void Each_reply_is_trained_with_the_end_of_turn_text_that_follows_it(string name, string endOfTurn)
    {
        var trainable = BuiltIn(name).Segments(Conversation).Where(s => s.Trainable).Select(s => s.Text);

        Assert.Equal(["Paris." + endOfTurn, "Rome." + endOfTurn], trainable);
    }

    [Fact]
    public void ChatML_segments_alternate_context_and_reply()
    {
        var segments = BuiltIn("ChatML").Segments(Conversation.Take(3).ToList());

        Assert.Equal(
        [
            new TemplateSegment("<|im_start|>system\nAnswer in one word.<|im_end|>\n<|im_start|>user\nCapital of France?<|im_end|>\n<|im_start|>assistant\n", false),
            new TemplateSegment("Paris.<|im_end|>\n", true),
        ], segments);
    }

    [Fact]
    public void A_reply_the_template_trims_is_trained_as_rendered()
    {
        ChatMessage[] padded = [new("user", "Hi"), new("assistant", "  Hello!\n")];

        var segments = BuiltIn("Llama-3").Segments(padded);

        Assert.Equal(new TemplateSegment("Hello!<|eot_id|>", true), segments[^1]);
        Assert.Equal(BuiltIn("Llama-3").Render(padded, addGenerationPrompt: false), string.Concat(segments.Select(s => s.Text)));
    }

    [Fact]
    public void Text_printed_only_at_the_end_of_a_conversation_belongs_to_the_last_reply_alone()
    {
        // Phi-3.5-mini-instruct's template: EOS closes the conversation when no generation prompt follows.
        var phi = ChatTemplate.FromJinja("Phi-3.5",
            "{% for message in messages %}{% if message['role'] == 'system' and message['content'] %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}",
            "<s>", "<|endoftext|>");

        var trainable = phi.Segments(Conversation).Where(s => s.Trainable).Select(s => s.Text);

        Assert.Equal(["Paris.<|end|>\n", "Rome.<|end|>\n<|endoftext|>"], trainable);
        Assert.Equal(["<|end|>", "<|endoftext|>", "\n<|user|>"], phi.StopStrings);
    }

    [Fact]
    public void A_conversation_without_replies_is_one_context_segment()
    {
        Assert.Equal([new TemplateSegment("<|im_start|>user\nHi<|im_end|>\n", false)], BuiltIn("ChatML").Segments([new("user", "Hi")]));
    }

    [Fact]
    public void A_template_that_rewrites_replies_cannot_be_segmented()
    {
        var dropsThinking = ChatTemplate.FromJinja("drops-thinking",
            "{% for m in messages %}{{ m.role }}: {{ m.content.split('</think>')[-1] }}\n{% endfor %}", null, null);

        var e = Assert.Throws<TemplateException>(() => dropsThinking.Segments([new("user", "Q"), new("assistant", "<think>hmm</think>A")]));

        Assert.StartsWith("chat template 'drops-thinking': cannot split the conversation into segments", e.Message);
    }

    [Fact]
    public void A_template_that_rejects_the_conversation_throws_from_segments()
    {
        Assert.Throws<TemplateException>(() => BuiltIn("Llama-2").Segments([new("assistant", "first")]));
    }

    public static TheoryData<string, string[]> StopStringsByTemplate => new()
    {
        { "None (plain text)", [] },
        { "ChatML", ["<|im_end|>", "\n<|im_start|>user"] },
        { "Llama-2", ["</s>", "<s>[INST]"] },
        { "Llama-3", ["<|eot_id|>", "<|start_header_id|>user<|end_header_id|>"] },
        { "Mistral", ["</s>", "[INST]"] },
        { "Zephyr", ["</s>", "\n<|user|>"] },
        { "Alpaca", ["</s>", "\n### Instruction:"] },
        { "Vicuna", ["</s>", "USER:"] },
    };

    [Theory]
    [MemberData(nameof(StopStringsByTemplate))]
    public void Stop_strings_are_the_end_of_turn_marker_eos_and_the_next_user_header(string name, string[] expected)
    {
        Assert.Equal(expected, BuiltIn(name).StopStrings);
    }

    [Fact]
    public void A_template_that_cannot_render_an_exchange_still_stops_at_eos()
    {
        var strict = ChatTemplate.FromJinja("strict", "{{ raise_exception('nope') }}", null, "<end>");

        Assert.Equal(["<end>"], strict.StopStrings);
    }
}
