"""The synthetic England: one coherent world, generated stage by stage.

    from leokit.synth import generate
    world = generate(scale=0.04, seed=20261128, progress=True)
    world.tables["leo_earnings"]      # concrete view name -> DataFrame
    world.truth                       # planted effects (written to truth.json)

Stages, in order (one module each): areas, schools, pupils, npd, ucas, hesa, labour, links.
Latent traits (ability, ambition, family resources) live only inside the generator.
"""

from .world import DEFAULT_SCALE, DEFAULT_SEED, GENERATOR_VERSION, World, generate

__all__ = ["generate", "World", "DEFAULT_SCALE", "DEFAULT_SEED", "GENERATOR_VERSION"]
