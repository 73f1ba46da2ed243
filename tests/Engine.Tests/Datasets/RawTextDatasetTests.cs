using WebUI.Engine.Training;

namespace WebUI.Engine.Tests.Datasets;

public sealed class RawTextDatasetTests : DatasetFixture
{
    private const string Story = "Once upon a time there was a little girl named Lily. She loved to play outside in the sunshine. " +
        "One day she saw a big red ball in the park and ran to get it. Her friend Tom came too and they played all day long.";

    [Fact]
    public void Blocks_StartEveryCutoffMinusOverlap_AndTheLastReachesTheSectionEnd()
    {
        var built = DatasetBuilder.Build(new DatasetOptions { DatasetPath = WriteText("story.txt", Story), Cutoff = 32, Overlap = 8 }, Tok512);

        int[] section = [1, .. Tok512.Encode(Story, addSpecialTokens: false), 2];  // BOS, text, EOS
        Assert.True(section.Length > 60);
        int expectedBlocks = (section.Length - 32 + 23) / 24 + 1;  // starts 0, 24, 48, ... until one reaches the end
        Assert.Equal(expectedBlocks, built.Train.Count);
        for (int k = 0; k < built.Train.Count; k++)
        {
            var block = built.Train[k];
            Assert.Equal(section.Skip(24 * k).Take(32), block.InputIds);
            Assert.Equal([false, .. Enumerable.Repeat(true, block.InputIds.Length - 1)], block.Targets);
            Assert.Equal(1, block.SourceRow);
        }
        Assert.Equal(section[^1], built.Train[^1].InputIds[^1]);
        Assert.Equal(DatasetKind.RawText, built.Kind);
    }

    [Fact]
    public void HardCut_SplitsIntoSections_EachWithBosAndEos_AndSkipsBlankSections()
    {
        var text = "The cat sat on the mat all day.\n\n\n  \n\n\nThe dog ran in the park with Tom.";
        var built = DatasetBuilder.Build(new DatasetOptions { DatasetPath = WriteText("two.txt", text), Cutoff = 64, Overlap = 16 }, Tok512);

        Assert.Equal(2, built.Report.Rows);
        Assert.Equal([1, 2], built.Train.Select(e => e.SourceRow));
        Assert.Equal([1, .. Tok512.Encode("The cat sat on the mat all day.", false), 2], built.Train[0].InputIds);
        Assert.Equal([1, .. Tok512.Encode("The dog ran in the park with Tom.", false), 2], built.Train[1].InputIds);
    }

    [Fact]
    public void AddEosFalse_EndsSectionsWithTheirLastTextToken()
    {
        var built = DatasetBuilder.Build(new DatasetOptions { DatasetPath = WriteText("s.txt", "The cat sat on the mat."), AddEos = false }, Tok512);

        Assert.Equal(Tok512.Encode("The cat sat on the mat."), built.Train.Single().InputIds);
    }

    [Fact]
    public void TinySections_AreDroppedWithAReason()
    {
        // "A" is BOS, the dummy-prefix space and "A": three tokens.
        var built = DatasetBuilder.Build(new DatasetOptions { DatasetPath = WriteText("s.txt", "A\n\n\nThe cat sat on the mat."), AddEos = false }, Tok512);

        Assert.Equal((2, 1, 1), (built.Report.Rows, built.Report.DroppedRows, built.Train.Count));
        var problem = Assert.Single(built.Report.Problems);
        Assert.Equal(1, problem.Row);
        Assert.Contains("fewer than 4", problem.Message);
    }

    [Fact]
    public void WithoutOverlap_ATinyLastBlockIsLeftOutAndReported()
    {
        int[] section = [1, .. Tok512.Encode(Story, false), 2];
        int cutoff = Enumerable.Range(8, 40).First(c => section.Length % c is > 0 and < 4);
        var built = DatasetBuilder.Build(new DatasetOptions { DatasetPath = WriteText("s.txt", Story), Cutoff = cutoff, Overlap = 0 }, Tok512);

        Assert.Equal(section.Length / cutoff, built.Train.Count);
        Assert.All(built.Train, e => Assert.Equal(cutoff, e.InputIds.Length));
        Assert.Contains("last block", Assert.Single(built.Report.Problems).Message);
        Assert.Equal(0, built.Report.DroppedRows);
    }
}
