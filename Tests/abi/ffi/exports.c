/*
 * exports.c — section "exports": the library's dynamic symbols.
 */
#include "harness.h"
#include "sections.h"

#include <elf.h>

/* ============================================================================================
 * Section: exports. wasixnet.h [conventions]: nothing but wasixnet_* leaves the library. The global defined
 * symbols of the file's .dynsym must be exactly the functions of harness.h's table (so every
 * exported function is one this test calls).
 * ========================================================================================== */

void test_exports(const char *path)
{
    section = "exports";
    FILE *f = fopen(path, "rb");
    if (!report(HERE, f != NULL, "cannot open %s", path))
        return;
    fseek(f, 0, SEEK_END);
    const long size = ftell(f);
    uint8_t *img = size > 0 ? malloc((size_t)size) : NULL;
    const bool read_ok = img != NULL && fseek(f, 0, SEEK_SET) == 0 && fread(img, 1, (size_t)size, f) == (size_t)size;
    fclose(f);
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
    if (!report(HERE, read_ok && (size_t)size >= sizeof *eh && memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 &&
                          eh->e_ident[EI_CLASS] == ELFCLASS64 &&
                          eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) <= (uint64_t)size,
                "%s is not a readable ELF64 file", path)) {
        free(img);
        return;
    }
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(img + eh->e_shoff);
    unsigned found[F_COUNT] = { 0 }, globals = 0;
    for (unsigned i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_DYNSYM || sh[i].sh_link >= eh->e_shnum ||
            sh[i].sh_offset + sh[i].sh_size > (uint64_t)size)
            continue;
        const Elf64_Sym *sym = (const Elf64_Sym *)(img + sh[i].sh_offset);
        const char *str = (const char *)img + sh[sh[i].sh_link].sh_offset;
        for (size_t k = 0; k < sh[i].sh_size / sizeof *sym; k++) {
            const unsigned bind = ELF64_ST_BIND(sym[k].st_info);
            if (sym[k].st_shndx == SHN_UNDEF || sym[k].st_shndx == SHN_ABS /* version nodes */ ||
                (bind != STB_GLOBAL && bind != STB_WEAK))
                continue;
            const char *name = str + sym[k].st_name;
            int id = -1;
            for (int j = 0; j < F_COUNT; j++)
                if (fns[j].symbol != NULL && strcmp(fns[j].symbol, name) == 0)
                    id = j;
            globals++;
            report(HERE, strncmp(name, "wasixnet_", 9) == 0, "exported symbol %s is not wasixnet_*", name);
            report(HERE, id >= 0, "exported symbol %s is not a function this test knows (and calls)", name);
            if (id >= 0)
                found[id]++;
        }
    }
    for (int j = 0; j < F_COUNT; j++)
        if (fns[j].symbol != NULL)
            report(HERE, found[j] == 1, "%s exported %u times in .dynsym, expected once", fns[j].symbol, found[j]);
    check_u64(HERE, "global defined symbols in .dynsym", F_COUNT - 1, globals);
    free(img);
}
