package main

import (
	"github.com/spf13/cobra"

	"github.com/atriumtrade/atrium/cmd/atrium/platform"
)

func openapiCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "openapi",
		Short: "Print the API's OpenAPI document (what /openapi.json serves), for generating clients",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			doc, err := platform.OpenAPIDocument()
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(append(doc, '\n'))
			return err
		},
	}
}
