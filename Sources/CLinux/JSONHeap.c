/* json-c's own heap in the static agent.
 *
 * A request of millions of tokens makes json-c allocate millions of small objects, all freed
 * together once the request is answered. musl's malloc gives the pages of those objects back,
 * but not the bookkeeping it kept for them (about 1.2 MB of metadata for a 1.9 M-token request,
 * taken with brk and never returned), so the agent would stay that much larger for the rest of
 * its life. scripts/build-jsonc.sh renames json-c's calls to malloc, calloc, realloc, free,
 * strdup and vasprintf to the functions below: json-c's small blocks come from 16 KiB slabs
 * mapped for them alone, and a slab is unmapped as soon as its last block is freed, but for the
 * last one of its size (every request allocates and frees a few blocks: without it each would
 * map and unmap slabs). Larger
 * blocks go to the C library's malloc. Every block starts with a 16-byte header that says
 * which, so free() never guesses. The normal (glibc) build does not use this: there json-c is
 * the system's shared library and malloc_trim gives the memory back.
 *
 * Calls are serialised by one mutex: json-c runs on the agent's loop thread, but nothing here
 * depends on that. */
#include "CLinux.h"
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HEADER 16u
#define SLAB_SIZE (16u * 1024u)
#define CLASS_STEP 16u
#define CLASS_COUNT 16u /* blocks of 16 ... 256 bytes, header included */
#define LARGE_MARK 0xffffffffu

struct slab;

/* The 16 bytes before every block json-c gets. */
struct block_header {
    struct slab *slab;   /* NULL for a block from the C library's malloc */
    uint32_t size_class; /* the slab's class, or LARGE_MARK */
    uint32_t large_size; /* the usable size of a large block (up to 4 GiB) */
};

struct slab {
    struct slab *previous, *next; /* the class's slabs that have a free block */
    void *free_list;              /* freed blocks, each holding the next one's address */
    uint32_t size_class;
    uint32_t live;                /* blocks handed out and not freed */
    uint32_t fresh;               /* blocks never handed out, from the end of the used part */
    uint32_t capacity;
    unsigned char *first;         /* the first block */
};

static struct slab *partial[CLASS_COUNT];
static size_t class_slabs[CLASS_COUNT];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static size_t mapped_slabs;

size_t clinux_json_heap_slabs(void) {
    pthread_mutex_lock(&lock);
    size_t count = mapped_slabs;
    pthread_mutex_unlock(&lock);
    return count;
}

static void unlink_slab(struct slab *slab) {
    if (slab->previous) slab->previous->next = slab->next;
    else partial[slab->size_class] = slab->next;
    if (slab->next) slab->next->previous = slab->previous;
    slab->previous = slab->next = NULL;
}

static void link_slab(struct slab *slab) {
    slab->previous = NULL;
    slab->next = partial[slab->size_class];
    if (slab->next) slab->next->previous = slab;
    partial[slab->size_class] = slab;
}

static size_t class_size(uint32_t size_class) { return (size_class + 1) * CLASS_STEP; }

static struct slab *new_slab(uint32_t size_class) {
    void *memory = mmap(NULL, SLAB_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) return NULL;
    struct slab *slab = memory;
    size_t start = (sizeof *slab + CLASS_STEP - 1) / CLASS_STEP * CLASS_STEP;
    memset(slab, 0, sizeof *slab);
    slab->size_class = size_class;
    slab->first = (unsigned char *)memory + start;
    slab->capacity = (uint32_t)((SLAB_SIZE - start) / class_size(size_class));
    slab->fresh = slab->capacity;
    mapped_slabs++;
    class_slabs[size_class]++;
    link_slab(slab);
    return slab;
}

static void *allocate_locked(size_t size) {
    if (size > SIZE_MAX - HEADER) return NULL;
    size_t total = size + HEADER;
    if (total <= CLASS_COUNT * CLASS_STEP) {
        uint32_t size_class = (uint32_t)((total + CLASS_STEP - 1) / CLASS_STEP) - 1;
        struct slab *slab = partial[size_class];
        if (!slab && !(slab = new_slab(size_class))) return NULL;
        unsigned char *block;
        if (slab->free_list) {
            block = slab->free_list;
            memcpy(&slab->free_list, block, sizeof(void *));
        } else {
            /* Untouched blocks are handed out in order, so a slab's pages are touched only
               as far as it was ever used. */
            block = slab->first + (size_t)(slab->capacity - slab->fresh) * class_size(size_class);
            slab->fresh--;
        }
        slab->live++;
        if (!slab->free_list && slab->fresh == 0) unlink_slab(slab);
        struct block_header *header = (struct block_header *)block;
        header->slab = slab;
        header->size_class = size_class;
        header->large_size = 0;
        return block + HEADER;
    }
    if (size > UINT32_MAX) return NULL;
    unsigned char *block = malloc(total);
    if (!block) return NULL;
    struct block_header *header = (struct block_header *)block;
    header->slab = NULL;
    header->size_class = LARGE_MARK;
    header->large_size = (uint32_t)size;
    return block + HEADER;
}

static size_t usable_size(void *pointer) {
    struct block_header *header = (struct block_header *)((unsigned char *)pointer - HEADER);
    return header->slab ? class_size(header->size_class) - HEADER : header->large_size;
}

static void release_locked(void *pointer) {
    unsigned char *block = (unsigned char *)pointer - HEADER;
    struct block_header *header = (struct block_header *)block;
    struct slab *slab = header->slab;
    if (!slab) {
        free(block);
        return;
    }
    int was_full = !slab->free_list && slab->fresh == 0;
    memcpy(block, &slab->free_list, sizeof(void *));
    slab->free_list = block;
    slab->live--;
    if (slab->live == 0 && class_slabs[slab->size_class] > 1) {
        if (!was_full) unlink_slab(slab);
        class_slabs[slab->size_class]--;
        mapped_slabs--;
        munmap(slab, SLAB_SIZE);
    } else if (was_full) {
        link_slab(slab);
    }
}

void *clinux_json_malloc(size_t size) {
    pthread_mutex_lock(&lock);
    void *pointer = allocate_locked(size);
    pthread_mutex_unlock(&lock);
    return pointer;
}

void clinux_json_free(void *pointer) {
    if (!pointer) return;
    pthread_mutex_lock(&lock);
    release_locked(pointer);
    pthread_mutex_unlock(&lock);
}

void *clinux_json_calloc(size_t count, size_t size) {
    if (size && count > SIZE_MAX / size) return NULL;
    void *pointer = clinux_json_malloc(count * size);
    if (pointer) memset(pointer, 0, count * size);
    return pointer;
}

void *clinux_json_realloc(void *pointer, size_t size) {
    if (!pointer) return clinux_json_malloc(size);
    if (size == 0) {
        clinux_json_free(pointer);
        return NULL;
    }
    size_t old = usable_size(pointer);
    struct block_header *header = (struct block_header *)((unsigned char *)pointer - HEADER);
    if (header->slab && size <= old && size + HEADER > class_size(header->size_class) - CLASS_STEP) return pointer;
    void *moved = clinux_json_malloc(size);
    if (!moved) return NULL;
    memcpy(moved, pointer, old < size ? old : size);
    clinux_json_free(pointer);
    return moved;
}

char *clinux_json_strdup(const char *text) {
    size_t length = strlen(text) + 1;
    char *copy = clinux_json_malloc(length);
    if (copy) memcpy(copy, text, length);
    return copy;
}

int clinux_json_vasprintf(char **result, const char *format, va_list arguments) {
    va_list copy;
    va_copy(copy, arguments);
    int length = vsnprintf(NULL, 0, format, copy);
    va_end(copy);
    if (length < 0) return -1;
    char *text = clinux_json_malloc((size_t)length + 1);
    if (!text) return -1;
    vsnprintf(text, (size_t)length + 1, format, arguments);
    *result = text;
    return length;
}
