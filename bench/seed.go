package main

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"cloudlet/store"
)

// benchCloud is the cloud every phase uses.
var benchCloud = store.Cloud{Name: "bench", APIKey: "123456789012345", APISecret: "bench-secret-not-for-production"}

// cloudURL is benchCloud as cloudlet's --cloud flag takes it.
func cloudURL() string {
	return fmt.Sprintf("cloudinary://%s:%s@%s", benchCloud.APIKey, benchCloud.APISecret, benchCloud.Name)
}

// seedSet is a group of image assets sharing one original: public ids prefix/0, prefix/1, …
type seedSet struct {
	prefix        string
	count         int
	file          []byte
	width, height int
	tags          func(i int) []string // nil: no tags
	spreadCreated bool                 // creation times one second apart, newest last
}

// seed writes the sets into the data directory through the store, as uploads would have left
// them, before any server runs on it.
func seed(dir string, sets ...seedSet) error {
	ctx := context.Background()
	st, err := store.Open(ctx, dir)
	if err != nil {
		return err
	}
	defer st.Close()
	cloud, err := st.PutCloud(ctx, benchCloud)
	if err != nil {
		return err
	}
	base := time.Now().UTC().Truncate(time.Second)
	for _, set := range sets {
		src := filepath.Join(dir, "seed-"+set.prefix+".jpg")
		if err := os.WriteFile(src, set.file, 0o644); err != nil {
			return err
		}
		sum := md5.Sum(set.file)
		assets := make([]store.Asset, set.count)
		for i := range assets {
			a := store.Asset{
				AssetKey: store.AssetKey{CloudID: cloud.ID, ResourceType: "image", Type: "upload",
					PublicID: fmt.Sprintf("%s/%d", set.prefix, i)},
				Format: "jpg", Bytes: int64(len(set.file)), Width: set.width, Height: set.height,
				Pages: 1, ETag: hex.EncodeToString(sum[:]), OriginalFilename: set.prefix,
				Folder: set.prefix, AssetFolder: set.prefix, DisplayName: fmt.Sprint(i),
			}
			if set.tags != nil {
				a.Tags = set.tags(i)
			}
			if set.spreadCreated {
				a.CreatedAt = base.Add(time.Duration(i-set.count) * time.Second)
			}
			assets[i] = a
		}
		if err := st.ImportAssets(ctx, assets, src); err != nil {
			return err
		}
		if err := os.Remove(src); err != nil {
			return err
		}
	}
	return nil
}
