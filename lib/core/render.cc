// The ctemplate shim: the only C++ in the project. It gives the rest of
// the code a C API (render.h) and refuses templates without auto-escaping.
#include <cstdio>
#include <cstring>
#include <string>
#include <set>
#include <vector>

#include <ctemplate/template.h>

extern "C" {
#include "render.h"
}

struct render_root;

struct render_dict {
	ctemplate::TemplateDictionary *d;
	render_root *root;
};

// A root dictionary owns the C handles of all its sections, and knows the
// templates it includes (their directory is the expansion's).
struct render_root {
	render_dict self;
	std::vector<render_dict *> children;
	std::vector<std::pair<ctemplate::TemplateDictionary *, std::string> > includes;
};

extern "C" struct render_dict *
render_dict_new(void)
{
	render_root *r = new render_root;
	r->self.d = new ctemplate::TemplateDictionary("root");
	r->self.root = r;
	return &r->self;
}

extern "C" void
render_dict_free(struct render_dict *d)
{
	if (d == NULL)
		return;
	render_root *r = d->root;
	for (render_dict *c : r->children)
		delete c;
	delete r->self.d;
	delete r;
}

extern "C" void
render_set(struct render_dict *d, const char *key, const char *value)
{
	d->d->SetValue(key, value ? value : "");
}

extern "C" void
render_set_int(struct render_dict *d, const char *key, long value)
{
	d->d->SetIntValue(key, value);
}

extern "C" void
render_set_global(struct render_dict *d, const char *key, const char *value)
{
	d->d->SetTemplateGlobalValue(key, value ? value : "");
}

extern "C" struct render_dict *
render_include(struct render_dict *d, const char *name, const char *file)
{
	render_dict *c = new render_dict;
	c->d = d->d->AddIncludeDictionary(name);
	c->root = d->root;
	d->root->children.push_back(c);
	d->root->includes.push_back(std::make_pair(c->d, std::string(file)));
	return c;
}

extern "C" struct render_dict *
render_section(struct render_dict *d, const char *name)
{
	render_dict *c = new render_dict;
	c->d = d->d->AddSectionDictionary(name);
	c->root = d->root;
	d->root->children.push_back(c);
	return c;
}

extern "C" void
render_show(struct render_dict *d, const char *name)
{
	d->d->ShowSection(name);
}

// A template is accepted once its first bytes carry the AUTOESCAPE pragma.
static bool
autoescaped(const std::string &path)
{
	static std::set<std::string> checked;
	if (checked.count(path))
		return true;
	FILE *f = std::fopen(path.c_str(), "r");
	if (f == NULL)
		return false;
	char head[64] = { 0 };
	size_t n = std::fread(head, 1, sizeof(head) - 1, f);
	std::fclose(f);
	static const char pragma[] = "{{%AUTOESCAPE context=\"";
	if (n < sizeof(pragma) - 1 ||
	    std::strncmp(head, pragma, sizeof(pragma) - 1) != 0) {
		std::fprintf(stderr, "render: %s lacks {{%%AUTOESCAPE}}: refused\n",
		    path.c_str());
		return false;
	}
	checked.insert(path);
	return true;
}

extern "C" int
render_expand(const char *dir, const char *name, struct render_dict *d,
    struct buf *out)
{
	std::string path = std::string(dir) + "/" + name;
	if (std::strstr(name, "..") != NULL || !autoescaped(path))
		return -1;
	// Included templates come from the same directory, auto-escaped too.
	for (auto &inc : d->root->includes) {
		std::string ipath = std::string(dir) + "/" + inc.second;
		if (inc.second.find("..") != std::string::npos || !autoescaped(ipath))
			return -1;
		inc.first->SetFilename(ipath);
	}
	std::string s;
	if (!ctemplate::ExpandTemplate(path, ctemplate::STRIP_BLANK_LINES,
	    d->d, &s))
		return -1;
	buf_append(out, s.data(), s.size());
	return 0;
}
