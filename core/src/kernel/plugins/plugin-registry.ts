import type { PluginKind } from '@teeka/plugin-sdk';
import type { ProjectPaths } from '../config/paths.js';
import { ConfigError } from '../errors.js';
import { type DiscoveredPlugin, discoverCodePlugins, discoverFolders, type LoadedCodePlugin } from './discovery.js';

/**
 * Every plugin the platform knows, by id: code plugins from plugins/, language packs from
 * locales/, themes from themes/. Built once at start; ids are unique across all kinds.
 */
export class PluginRegistry {
  private readonly byId = new Map<string, DiscoveredPlugin | LoadedCodePlugin>();

  static async discover(paths: ProjectPaths): Promise<PluginRegistry> {
    const registry = new PluginRegistry();
    for (const plugin of discoverFolders(paths.locales, 'manifest.json', 'language', paths.root)) registry.add(plugin);
    for (const plugin of discoverFolders(paths.themes, 'theme.json', 'theme', paths.root)) registry.add(plugin);
    for (const plugin of await discoverCodePlugins(paths.plugins, paths.root)) registry.add(plugin);
    return registry;
  }

  add(plugin: DiscoveredPlugin | LoadedCodePlugin): void {
    const existing = this.byId.get(plugin.manifest.id);
    if (existing) {
      throw new ConfigError(`Duplicate plugin id "${plugin.manifest.id}": declared by ${existing.source} and by ${plugin.source}`);
    }
    this.byId.set(plugin.manifest.id, plugin);
  }

  get(id: string): DiscoveredPlugin | LoadedCodePlugin | undefined {
    return this.byId.get(id);
  }

  ofKind(kind: PluginKind): DiscoveredPlugin[] {
    return [...this.byId.values()].filter((plugin) => plugin.manifest.kind === kind);
  }

  language(id: string): DiscoveredPlugin | undefined {
    const plugin = this.byId.get(id);
    return plugin?.manifest.kind === 'language' ? plugin : undefined;
  }

  theme(id: string): DiscoveredPlugin | undefined {
    const plugin = this.byId.get(id);
    return plugin?.manifest.kind === 'theme' ? plugin : undefined;
  }

  code(id: string): LoadedCodePlugin | undefined {
    const plugin = this.byId.get(id);
    return plugin && 'plugin' in plugin ? plugin : undefined;
  }
}
