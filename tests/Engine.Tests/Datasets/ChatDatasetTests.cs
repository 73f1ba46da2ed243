using WebUI.Engine.Generation;
using WebUI.Engine.Training;

namespace WebUI.Engine.Tests.Datasets;

public sealed class ChatDatasetTests : DatasetFixture
{
    private static readonly ChatMessage[] Conversation =
    [
        new("system", "You are kind."), new("user", "How are you?"), new("assistant", "Fine, thanks."),
        new("user", "Goodbye."), new("assistant", "Bye!"),
    ];

    private static readonly Dictionary<string, string> ShareGptNames = new() { ["system"] = "system", ["user"] = "human", ["assistant"] = "gpt" };

    private static ChatTemplate ChatMl => ChatTemplate.BuiltIn.Single(t => t.Name.Equals("ChatML", StringComparison.OrdinalIgnoreCase));

    private string MessagesFile(string name = "chat.json") =>
        WriteRows(name, new { messages = Conversation.Select(m => new { role = m.Role, content = m.Content }) });

    private DatasetException BuildFails(params object[] rows) => Assert.Throws<DatasetException>(() =>
        DatasetBuilder.Build(new DatasetOptions { DatasetPath = WriteRows("chat.json", rows) }, Tok512));

    [Fact]
    public void Messages_WithPlainText_TrainOnExactlyTheAssistantSegmentsAndEos()
    {
        var built = DatasetBuilder.Build(new DatasetOptions { DatasetPath = MessagesFile() }, Tok512);

        var example = built.Train.Single();
        Assert.Equal(DatasetKind.Chat, built.Kind);
        var trainable = string.Concat(ChatTemplate.PlainText.Segments(Conversation).Where(s => s.Trainable).Select(s => s.Text));
        Assert.Contains("Fine, thanks.", trainable);
        Assert.DoesNotContain("Goodbye.", trainable);
        Assert.Equal(trainable, TextOf(Tok512, TrainableIds(example)));
        Assert.Equal(ChatTemplate.PlainText.Render(Conversation, addGenerationPrompt: false), Tok512.Decode(example.InputIds));
        Assert.Equal((1, 2), (example.InputIds[0], example.InputIds[^1]));  // BOS; EOS, since PlainText has no EOS of its own
        Assert.True(example.Targets[^1]);
    }

    [Fact]
    public void ShareGptConversations_BuildTheSameExampleAsMessages()
    {
        var shareGpt = WriteRows("sharegpt.jsonl", new { conversations = Conversation.Select(m => new { from = ShareGptNames[m.Role], value = m.Content }) });

        var fromMessages = DatasetBuilder.Build(new DatasetOptions { DatasetPath = MessagesFile() }, Tok512).Train.Single();
        var fromShareGpt = DatasetBuilder.Build(new DatasetOptions { DatasetPath = shareGpt }, Tok512).Train.Single();
        Assert.Equal(fromMessages.InputIds, fromShareGpt.InputIds);
        Assert.Equal(fromMessages.Targets, fromShareGpt.Targets);
    }

    [Fact]
    public void ChatMl_OnSmolLm2_TrainsOnRepliesAndTheirImEnd_WhichIsItsEos()
    {
        var example = DatasetBuilder.Build(new DatasetOptions { DatasetPath = MessagesFile(), ChatTemplate = ChatMl }, SmolLm2).Train.Single();

        var replies = ChatMl.Segments(Conversation).Where(s => s.Trainable).Select(s => s.Text).ToList();
        Assert.Equal(["Fine, thanks.<|im_end|>", "Bye!<|im_end|>"], replies.Select(r => r.TrimEnd('\n')));
        Assert.Equal(replies.SelectMany(r => SmolLm2.Encode(r)), TrainableIds(example));
        // <|im_end|> (closing every message) is SmolLM2's EOS, so no other is added; the ids are those of the whole render.
        Assert.Equal(Conversation.Length, example.InputIds.Count(id => id == SmolLm2.EosIds[0]));
        Assert.Equal(SmolLm2.Encode(ChatMl.Render(Conversation, addGenerationPrompt: false)), example.InputIds);
    }

    [Fact]
    public void ChatMl_OnTok512_HasNoStraySpacesAtSegmentBoundaries()
    {
        var example = DatasetBuilder.Build(new DatasetOptions { DatasetPath = MessagesFile(), ChatTemplate = ChatMl }, Tok512).Train.Single();

        Assert.Equal(string.Concat(ChatMl.Segments(Conversation).Where(s => s.Trainable).Select(s => s.Text)), TextOf(Tok512, TrainableIds(example)));
        Assert.Equal(ChatMl.Render(Conversation, addGenerationPrompt: false), Tok512.Decode(example.InputIds));
    }

    public static TheoryData<string> BuiltInTemplates => [.. ChatTemplate.BuiltIn.Select(t => t.Name)];

    [Theory]
    [MemberData(nameof(BuiltInTemplates))]
    public void EveryBuiltInTemplate_TrainsOnExactlyItsTrainableSegments(string name)
    {
        var template = ChatTemplate.BuiltIn.Single(t => t.Name == name);
        var conversation = Conversation[1..];  // not every template takes a system message
        var path = WriteRows("chat.json", new { messages = conversation.Select(m => new { role = m.Role, content = m.Content }) });

        var example = DatasetBuilder.Build(new DatasetOptions { DatasetPath = path, ChatTemplate = template }, Tok512).Train.Single();
        Assert.Equal(string.Concat(template.Segments(conversation).Where(s => s.Trainable).Select(s => s.Text)), TextOf(Tok512, TrainableIds(example)));
        Assert.Equal(template.Render(conversation, addGenerationPrompt: false), Tok512.Decode(example.InputIds));
    }

    [Fact]
    public void ConversationWithoutAnAssistant_IsDropped()
    {
        var path = WriteRows("chat.json",
            new { messages = new[] { new { role = "user", content = "Hello?" } } },
            new { messages = Conversation.Select(m => new { role = m.Role, content = m.Content }) });

        var built = DatasetBuilder.Build(new DatasetOptions { DatasetPath = path }, Tok512);
        Assert.Equal([2], built.Train.Select(e => e.SourceRow));
        Assert.Equal(new DatasetProblem(1, "dropped: no assistant message to train on"), Assert.Single(built.Report.Problems));
        Assert.Equal(1, built.Report.DroppedRows);
    }

    [Fact]
    public void MissingRole_NamesFileRowAndField() =>
        Assert.Equal("chat.json: row 1: messages[1] has no \"role\"",
            BuildFails(new { messages = new object[] { new { role = "user", content = "Hi" }, new { content = "Hello" } } }).Message);

    [Fact]
    public void UnknownRole_NamesTheRoleAndTheAllowedOnes() =>
        Assert.Equal("chat.json: row 1: messages[0].role is \"bot\"; expected one of system, user, assistant",
            BuildFails(new { messages = new[] { new { role = "bot", content = "Hi" } } }).Message);

    [Fact]
    public void UnknownShareGptSpeaker_NamesTheField() =>
        Assert.StartsWith("chat.json: row 1: conversations[1].from is \"robot\"; expected one of system, human",
            BuildFails(new { conversations = new[] { new { from = "human", value = "Hi" }, new { from = "robot", value = "Hello" } } }).Message);

    [Fact]
    public void NonStringContent_NamesTheField() =>
        Assert.Equal("chat.json: row 1: messages[0].content is a number, expected a string",
            BuildFails(new { messages = new[] { new { role = "user", content = 5 } } }).Message);

    [Fact]
    public void RowWithoutAConversation_InAChatFile_NamesTheRow()
    {
        var valid = new { messages = new[] { new { role = "user", content = "Hi" }, new { role = "assistant", content = "Hello" } } };

        Assert.Equal("chat.json: row 2: has neither \"messages\" nor \"conversations\"", BuildFails(valid, new { text = "Hi" }).Message);
        Assert.Equal("chat.json: row 2: \"messages\" is a string, expected a list", BuildFails(valid, new { messages = "Hi" }).Message);
    }

    [Fact]
    public void Detect_TellsTheKindsApart()
    {
        Assert.Equal(DatasetKind.Chat, DatasetBuilder.Detect(MessagesFile("c.jsonl")));
        Assert.Equal(DatasetKind.Formatted, DatasetBuilder.Detect(WriteRows("f.json", new { instruction = "a", output = "b" })));
        Assert.Equal(DatasetKind.RawText, DatasetBuilder.Detect(WriteText("r.txt", "Some text.")));
    }
}
