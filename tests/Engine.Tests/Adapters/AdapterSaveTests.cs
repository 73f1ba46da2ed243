using WebUI.Engine.Adapters;
using WebUI.Engine.Modeling;

namespace WebUI.Engine.Tests.Adapters;

/// <summary>Saving replaces an adapter folder all at once, keeps what it replaces, and touches nothing beside it.</summary>
public sealed class AdapterSaveTests
{
    [Fact]
    public void Saving_over_an_existing_adapter_without_overwrite_fails_and_changes_nothing()
    {
        using var model = TinyModels.Create(ModelFamily.Llama);
        using var first = TestAdapters.Random(model, seed: 1);
        using var second = TestAdapters.Random(model, seed: 2);
        var loras = TinyModels.TempDir();
        var dir = Path.Combine(loras, "mine");
        first.Save(dir);
        var before = TestAdapters.Snapshot(dir);

        Assert.Throws<IOException>(() => second.Save(dir));
        Assert.Equal(before, TestAdapters.Snapshot(dir));
        Assert.Equal(["mine"], Directory.GetFileSystemEntries(loras).Select(Path.GetFileName));
    }

    [Fact]
    public void A_save_that_fails_midway_leaves_the_previous_adapter_intact()
    {
        using var model = TinyModels.Create(ModelFamily.Llama);
        using var first = TestAdapters.Random(model, seed: 1);
        using var broken = TestAdapters.Random(model, seed: 2);
        var loras = TinyModels.TempDir();
        var dir = Path.Combine(loras, "mine");
        first.Save(dir);
        var before = TestAdapters.Snapshot(dir);

        // The config is written first; the weights then fail on a tensor freed behind the adapter's back.
        broken.Weights.Values.Last().B.Dispose();
        Assert.ThrowsAny<Exception>(() => broken.Save(dir, overwrite: true));

        Assert.Equal(before, TestAdapters.Snapshot(dir));
        Assert.Equal(["mine"], Directory.GetFileSystemEntries(loras).Select(Path.GetFileName));
    }

    [Fact]
    public void Overwrite_keeps_the_old_adapter_as_a_dated_backup_and_leaves_siblings_alone()
    {
        using var model = TinyModels.Create(ModelFamily.Llama);
        using var first = TestAdapters.Random(model, seed: 1);
        using var second = TestAdapters.Random(model, seed: 2);
        var loras = TinyModels.TempDir();
        var sibling = Path.Combine(loras, "someone-elses");
        first.Save(sibling);
        var siblingBefore = TestAdapters.Snapshot(sibling);
        var dir = Path.Combine(loras, "mine");
        first.Save(dir);
        var firstBytes = TestAdapters.Snapshot(dir);

        second.Save(dir, overwrite: true);

        var entries = Directory.GetFileSystemEntries(loras).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(3, entries.Count);
        Assert.Equal(["mine", "someone-elses"], entries.Where(e => !e!.Contains(".backup-")));
        var backup = entries.Single(e => e!.Contains(".backup-"))!;
        Assert.Matches(@"^mine\.backup-\d{8}-\d{6}$", backup);
        Assert.Equal(firstBytes, TestAdapters.Snapshot(Path.Combine(loras, backup)));
        Assert.Equal(siblingBefore, TestAdapters.Snapshot(sibling));

        using var reloaded = LoraAdapter.Load(dir, model.Model);
        var (path, (_, b)) = second.Weights.First();
        Assert.True(TestAdapters.Identical(b, reloaded.Weights[path].B), "the new adapter was not saved");
    }
}
