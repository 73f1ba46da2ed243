using WebUI.Engine.Training;

namespace WebUI.Engine.Tests.Datasets;

public sealed class FormattedDatasetTests : DatasetFixture
{
    private const string Marker = "### Response:\n";

    private static readonly object PlainRow = new { instruction = "Name a color.", output = "Red is a color." };
    // An empty "input" does not count, so this row uses the instruction,output template too.
    private static readonly object EmptyInputRow = new { instruction = "Name an animal.", input = " ", output = "A cat." };
    private static readonly object InputRow = new { instruction = "Add the numbers.", input = "2 and 3", output = "They make 5." };

    private DatasetOptions Alpaca(params object[] rows) => new()
    {
        DatasetPath = WriteRows("alpaca.json", rows), FormatPath = Format("alpaca-format.json"), TrainOnlyAfter = Marker, Cutoff = 256,
    };

    [Fact]
    public void Alpaca_BothKeySets_MaskEverythingUpToTheMarker_Exactly()
    {
        var built = DatasetBuilder.Build(Alpaca(PlainRow, EmptyInputRow, InputRow), Tok512);

        Assert.Equal(DatasetKind.Formatted, built.Kind);
        Assert.Equal(3, built.Train.Count);
        var expected = new[]
        {
            ("Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n" +
                "### Instruction:\nName a color.\n\n### Response:\n", "Red is a color."),
            ("Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n" +
                "### Instruction:\nName an animal.\n\n### Response:\n", "A cat."),
            ("Below is an instruction that describes a task, paired with an input that provides further context. Write a response " +
                "that appropriately completes the request.\n\n### Instruction:\nAdd the numbers.\n\n### Input:\n2 and 3\n\n### Response:\n", "They make 5."),
        };
        foreach (var (example, (prompt, response)) in built.Train.Zip(expected))
        {
            Assert.Equal(1, example.InputIds[0]);            // BOS
            Assert.Equal(2, example.InputIds[^1]);           // EOS, trained on
            Assert.True(example.Targets[^1]);
            // The response's tokens are exactly its text (no dummy-prefix space), the prompt's exactly the prompt.
            Assert.Equal(response, TextOf(Tok512, TrainableIds(example)));
            Assert.Equal(prompt, Tok512.Decode(MaskedIds(example)));
            Assert.Equal(prompt + response, Tok512.Decode(example.InputIds));
            // One mask boundary: false..false then true..true.
            Assert.Equal(MaskedIds(example).Length, Array.IndexOf(example.Targets, true));
        }
    }

    [Fact]
    public void WithoutTrainOnlyAfter_EveryTokenButTheFirstIsTrained()
    {
        var example = DatasetBuilder.Build(Alpaca(PlainRow) with { TrainOnlyAfter = null }, Tok512).Train.Single();

        Assert.Equal([false, .. Enumerable.Repeat(true, example.InputIds.Length - 1)], example.Targets);
    }

    [Fact]
    public void RowWithoutTheMarker_IsDroppedWithAReason_AndKeyNamesMayHaveSpaces()
    {
        var format = WriteText("custom.json", """
            { "instruction, output": "Q: %instruction%\nA: %output%", "instruction,input,output": "%instruction% %input% = %output%" }
            """);
        var built = DatasetBuilder.Build(Alpaca(PlainRow, InputRow) with { FormatPath = format, TrainOnlyAfter = "A:" }, Tok512);

        Assert.Equal(" Red is a color.", TextOf(Tok512, TrainableIds(built.Train.Single())));
        Assert.Equal((2, 1), (built.Report.Rows, built.Report.DroppedRows));
        var problem = Assert.Single(built.Report.Problems);
        Assert.Equal(2, problem.Row);
        Assert.Contains("\"A:\"", problem.Message);
    }

    [Fact]
    public void LongRows_AreTruncatedAtTheCutoff_OrDroppedWhenThePromptFillsIt()
    {
        var longOutput = new { instruction = "Tell a story.", output = string.Join(" ", Enumerable.Repeat("The cat sat on the mat.", 40)) };
        var longPrompt = new { instruction = string.Join(" ", Enumerable.Repeat("Tell me about the cat.", 40)), output = "No." };
        var built = DatasetBuilder.Build(Alpaca(PlainRow, longOutput, longPrompt) with { Cutoff = 160, Overlap = 0 }, Tok512);

        Assert.Equal([1, 2], built.Train.Select(e => e.SourceRow));
        Assert.Equal(160, built.Train[1].InputIds.Length);
        Assert.Equal((3, 1, 1), (built.Report.Rows, built.Report.TruncatedRows, built.Report.DroppedRows));
        Assert.Equal([(2, "truncated"), (3, "dropped")], built.Report.Problems.Select(p => (p.Row, p.Message.Split(':')[0])));
        Assert.Contains("cutoff", built.Report.Problems[1].Message);
    }

    [Fact]
    public void RowMatchingNoKeySet_NamesFileRowFieldsAndTheAvailableSets()
    {
        var options = Alpaca(PlainRow, new { instruction = "Hi", response = "Hello", id = 7 });

        var e = Assert.Throws<DatasetException>(() => DatasetBuilder.Build(options, Tok512));
        Assert.Equal("alpaca.json: row 2 has fields {instruction, response}: no key set in alpaca-format.json matches " +
            "(available: instruction,output; instruction,input,output)", e.Message);
    }

    [Fact]
    public void FormattedRows_NeedAnExistingFormatFile()
    {
        var none = Assert.Throws<DatasetException>(() => DatasetBuilder.Build(Alpaca(PlainRow) with { FormatPath = null }, Tok512));
        Assert.Contains("alpaca.json", none.Message);
        Assert.Contains("format file", none.Message);

        var missing = Path.Combine(Temp, "no-such-format.json");
        var absent = Assert.Throws<DatasetException>(() => DatasetBuilder.Build(Alpaca(PlainRow) with { FormatPath = missing }, Tok512));
        Assert.Contains(missing, absent.Message);
    }

    [Theory]
    [InlineData("alpaca-format.json")]
    [InlineData("alpaca-chatbot-format.json")]
    [InlineData("chatml-format.json")]
    [InlineData("llama2-chat-format.json")]
    [InlineData("vicuna-format.json")]
    public void ShippedFormats_RenderInstructionRowsWithAndWithoutInput(string format)
    {
        var built = DatasetBuilder.Build(Alpaca(PlainRow, InputRow) with { FormatPath = Format(format), TrainOnlyAfter = null }, Tok512);

        var texts = built.Train.Select(e => Tok512.Decode(e.InputIds)).ToList();
        Assert.Equal(2, texts.Count);
        Assert.Contains("Name a color.", texts[0]);
        Assert.EndsWith("Red is a color.", texts[0].Replace("<|im_end|>", ""));
        Assert.Contains("2 and 3", texts[1]);
        Assert.DoesNotContain("%", string.Concat(texts));
    }

    [Fact]
    public void ChatMLFormat_TrainsOnTheReplyAndItsEndMarker()
    {
        var options = Alpaca(PlainRow) with { FormatPath = Format("chatml-format.json"), TrainOnlyAfter = "<|im_start|>assistant\n" };

        var example = DatasetBuilder.Build(options, SmolLm2).Train.Single();
        Assert.Equal(SmolLm2.Encode("Red is a color.<|im_end|>"), TrainableIds(example));  // <|im_end|> is SmolLM2's EOS: none added
        Assert.Equal(SmolLm2.Encode("<|im_start|>user\nName a color.<|im_end|>\n<|im_start|>assistant\n"), MaskedIds(example));
    }
}
