/**
 * The content file a component is rendered for, to name it in an error. Starlight's route data
 * exists on lesson pages only; elsewhere (the handbook renders lessons inside a page of its own)
 * reading it throws, and the page's address is the best we can say.
 */
export function pageFile(locals: App.Locals, url: URL): string {
	try {
		return locals.starlightRoute.entry.filePath;
	} catch {
		return url.pathname;
	}
}
